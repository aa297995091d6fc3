package io.edgebridge.core.support;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads a sink owns for its cloud SDK's blocking calls (which must never run on the engine's
 * shared scheduler): named, and daemon threads, so that a sink that hangs in its SDK never keeps the
 * JVM from exiting.
 */
public final class SinkThreads {

    private static final Logger log = LoggerFactory.getLogger(SinkThreads.class);

    private SinkThreads() {
    }

    /** One daemon thread named {@code name}, for a sink's blocking calls in order (connect, publish, probe). */
    public static ExecutorService singleThread(String name) {
        return Executors.newSingleThreadExecutor(r -> daemon(r, name));
    }

    /**
     * Runs a sink's blocking close ({@code close}) on a daemon thread of its own named {@code name}, so
     * that {@code Sink.close} returns at once. The stage completes when {@code close} returned or threw;
     * the thread then ends.
     */
    public static CompletableFuture<Void> closeInBackground(String name, Runnable close) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        daemon(() -> {
            try {
                close.run();
            } catch (RuntimeException e) {
                log.atWarn().addKeyValue("thread", name).setCause(e).log("closing a sink failed");
            } finally {
                done.complete(null);
            }
        }, name).start();
        return done;
    }

    private static Thread daemon(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        return t;
    }
}
