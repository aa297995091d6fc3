package io.edgebridge.core.api;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A destination for upstream messages, and optionally a source of downstream ones. Created by a
 * {@link SinkFactory}; all methods are thread-safe and must not block the caller.
 *
 * <p>The engine reads each sink's messages from the spool through its own cursor and keeps at most
 * {@code maxInFlight} of them in {@link #send} at a time; a message leaves the spool for this sink
 * only when the stage returned by {@code send} completes normally.
 */
public interface Sink {

    /** The sink's name from the configuration. */
    String name();

    /**
     * Starts connecting in the background. The returned stage completes once the sink accepts
     * {@link #send} calls, which may be before the first connection is up: sends made while the
     * sink is disconnected wait (or fail with {@link DeliveryException.Disposition#RETRY}).
     */
    CompletionStage<Void> start();

    /**
     * Sends one message. Completes normally when the destination has acknowledged it; completes
     * exceptionally with a {@link DeliveryException} saying whether to retry, count a rejection or
     * dead-letter at once. Any other exception counts as a rejection.
     */
    CompletionStage<Void> send(OutboundMessage message);

    /**
     * Subscribes to {@code filters} on the sink's side for downstream routes; each message goes to
     * {@code handler}, and the sink acknowledges it to the cloud only once the stage the handler
     * returns completes normally. Called once, before {@link #start()}, so that nothing a resumed
     * cloud session delivers arrives without a handler; only when the factory
     * {@code supportsDownstream()}.
     */
    default CompletionStage<Void> subscribe(List<String> filters, DownstreamHandler handler) {
        throw new UnsupportedOperationException("sink " + name() + " has no downstream support");
    }

    /** Whether the sink is connected right now (for status and logs). */
    boolean isConnected();

    /**
     * What keeps a connected sink from doing part of its work right now and will not pass by itself
     * soon, e.g. a downstream subscription the cloud refuses (missing, permission denied), worded for
     * an operator; empty when nothing does. While a required sink names a problem the bridge is not
     * ready, and {@code /status} shows it.
     */
    default Optional<String> problem() {
        return Optional.empty();
    }

    /**
     * Stops the sink: unacknowledged sends fail with {@link DeliveryException.Disposition#RETRY}
     * (they stay in the spool), subscriptions end. Idempotent.
     */
    CompletionStage<Void> close();
}
