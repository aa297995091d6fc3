package io.edgebridge.core.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Where a sink hands messages it received from its cloud. */
@FunctionalInterface
public interface DownstreamHandler {

    /**
     * Routes one message into the local broker. The stage completes normally once the message was
     * published locally and acknowledged (or deliberately rejected and counted: it must not be
     * redelivered), exceptionally when it could not be handled now and the cloud should redeliver
     * it (the sink must then not acknowledge it).
     *
     * <p>A sink that gives up on the message before the stage completed (its own timeout, a nack, the
     * session it came on is replaced, the sink closes) says so by completing the stage exceptionally
     * or cancelling it ({@code toCompletableFuture().cancel(false)}; {@code orTimeout} does the same).
     * The handler then stops working on it: retries end and a local publish that has not reached the
     * local broker is withdrawn, so that the cloud's redelivery is the message's only copy in the
     * bridge. A sink whose cloud will not redeliver a message it gave up on (its protocol cannot
     * refuse one) must therefore leave the stage alone instead.
     *
     * <p>A message with an {@link InboundMessage#id()} that arrives while a delivery of the same id
     * is in progress joins it: its stage completes with that delivery, and nothing is published again.
     */
    CompletionStage<Void> onMessage(InboundMessage message);

    /**
     * Routes one request (a direct method call) into the local broker as an MQTT 5 request, by the
     * first downstream route matching its topic, and completes with how it ended: the device's
     * answer, or why there is none. Never completes exceptionally.
     */
    default CompletionStage<RequestOutcome> onRequest(InboundMessage request, Duration timeout) {
        return CompletableFuture.completedFuture(new RequestOutcome.Failed("requests are not supported here"));
    }

    /**
     * Reports a cloud message the sink acknowledged without handing it over because it can never be
     * routed: the topic it is matched under could not be made from it (an attribute or property that
     * is missing or not one valid topic level). The handler counts it as dropped
     * ({@code reason=invalid-topic}, route {@code *}) and logs it, a line per interval at most. The
     * reason must not contain the payload.
     */
    default void onRejected(String reason) {
    }
}
