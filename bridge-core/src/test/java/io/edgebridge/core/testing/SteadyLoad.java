package io.edgebridge.core.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Devices publishing at a steady rate: payloads "0", "1", ... (QoS 1) on the topic {@code topicOf}
 * gives for each index, until stopped. {@link #next()} is the next index, so a test can tell which
 * messages were published after a point in time; {@link Publisher#ackedPayloads()} which the bridge
 * accepted.
 */
public final class SteadyLoad implements AutoCloseable {

    private final AtomicInteger next = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    /** Spreads the messages over 20 devices: {@code sensors/dev<i % 20>/data}. */
    public SteadyLoad(Publisher publisher, int perSecond) {
        this(publisher, perSecond, i -> "sensors/dev" + (i % 20) + "/data");
    }

    public SteadyLoad(Publisher publisher, int perSecond, IntFunction<String> topicOf) {
        this.thread = new Thread(() -> {
            long start = System.nanoTime();
            while (running.get()) {
                int i = next.get();
                long due = start + (long) i * 1_000_000_000L / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                publisher.publish(topicOf.apply(i), Integer.toString(i)).exceptionally(e -> null);
                next.incrementAndGet();
            }
        }, "steady-load");
        thread.setDaemon(true);
        thread.start();
    }

    /** The index the next message will have (how many were handed to the publisher so far). */
    public int next() {
        return next.get();
    }

    /** Stops publishing; returns how many were published. */
    public int stop() throws InterruptedException {
        running.set(false);
        thread.join(10_000);
        return next.get();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** "0" to "n - 1". */
    public static List<String> indices(int n) {
        List<String> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(Integer.toString(i));
        }
        return all;
    }
}
