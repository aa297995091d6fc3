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
}
