package io.edgebridge.core.api;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A sink's downstream side as the engine sets it up through {@link Sink#subscribe}: the filters to
 * subscribe to on the cloud's side and the handler that takes what arrives there. A sink keeps one,
 * returns {@link #subscribe} from its own {@code subscribe}, and hands every message its cloud
 * delivers to {@link #deliver}, every request to {@link #request} and every message it refuses to
 * {@link #reject}: nothing from the cloud reaches the handler another way. Thread-safe.
 */
public final class DownstreamSubscription {

    private volatile List<String> filters = List.of();
    private volatile DownstreamHandler handler;

    /** Records the filters and the handler; returns the stage {@link Sink#subscribe} returns. */
    public CompletionStage<Void> subscribe(List<String> filters, DownstreamHandler handler) {
        this.filters = List.copyOf(filters);
        this.handler = handler;
        return CompletableFuture.completedFuture(null);
    }

    /** The filters to subscribe to on the cloud's side; empty when there are no downstream routes. */
    public List<String> filters() {
        return filters;
    }

    /** Whether {@link #subscribe} was called, that is whether the sink has downstream routes. */
    public boolean hasHandler() {
        return handler != null;
    }

    /**
     * Hands a message from the cloud to the handler. The stage completes normally when the sink
     * may acknowledge the message to its cloud: once the handler took it, or at once when there is
     * no handler (nothing was subscribed on purpose; it came from a resumed session). It completes
     * exceptionally when the message must stay unacknowledged so that the cloud redelivers it: the
     * handler failed, or threw.
     */
    public CompletionStage<Void> deliver(InboundMessage message) {
        DownstreamHandler h = handler;
        if (h == null) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            return h.onMessage(message);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Hands a request from the cloud (a direct method call) to the handler ({@link
     * DownstreamHandler#onRequest}); without a handler there is no downstream route for it
     * ({@link RequestOutcome.NoRoute}). Never completes exceptionally: a handler that throws makes a
     * {@link RequestOutcome.Failed}.
     */
    public CompletionStage<RequestOutcome> request(InboundMessage request, Duration timeout) {
        DownstreamHandler h = handler;
        if (h == null) {
            return CompletableFuture.completedFuture(new RequestOutcome.NoRoute());
        }
        try {
            return h.onRequest(request, timeout).exceptionally(e -> new RequestOutcome.Failed(String.valueOf(e)));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new RequestOutcome.Failed(e.toString()));
        }
    }

    /**
     * Reports a cloud message the sink acknowledged without handing it over because it can never be
     * routed ({@link DownstreamHandler#onRejected}); nothing without a handler.
     */
    public void reject(String reason) {
        DownstreamHandler h = handler;
        if (h != null) {
            h.onRejected(reason);
        }
    }
}
