package io.edgebridge.core.support;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What the sinks and the core share about futures. */
public final class Futures {

    private Futures() {
    }

    /**
     * The failure itself, without the {@link CompletionException} and {@link ExecutionException}
     * layers that {@code CompletableFuture} and {@code Future.get} wrap it in (as many as there are;
     * a wrapper without a cause is returned as it is).
     */
    public static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
