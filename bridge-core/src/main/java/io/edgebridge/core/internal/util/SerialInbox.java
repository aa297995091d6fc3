package io.edgebridge.core.internal.util;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands tasks from any thread to one consumer thread, in order, without a lock or a wake-up per task:
 * tasks queue in a lock-free queue and the first one of a burst schedules a single drain on the
 * executor, which runs everything queued so far and then {@code afterDrain} (e.g. one flush).
 */
public final class SerialInbox {

    private static final Logger log = LoggerFactory.getLogger(SerialInbox.class);

    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Executor executor;
    private final Runnable afterDrain;
    private final Runnable drain = this::drain;

    public SerialInbox(Executor executor, Runnable afterDrain) {
        this.executor = executor;
        this.afterDrain = afterDrain;
    }

    /** Queues a task; returns false when the executor no longer takes work (shut down). */
    public boolean submit(Runnable task) {
        tasks.add(task);
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(drain);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
                return false;
            }
        }
        return true;
    }

    private void drain() {
        scheduled.set(false);
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("task failed", e);
            }
        }
        afterDrain.run();
    }
}
