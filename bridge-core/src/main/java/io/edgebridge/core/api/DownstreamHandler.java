package io.edgebridge.core.api;

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
}
