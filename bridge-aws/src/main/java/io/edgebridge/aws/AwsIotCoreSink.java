package io.edgebridge.aws;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Forwards to AWS IoT Core with an aws-crt MQTT 5 client over mutual TLS and, for downstream
 * routes, subscribes there.
 *
 * <p>Upstream: a send is a QoS 1 PUBLISH (QoS 2 is sent as 1: IoT Core has no QoS 2) that
 * completes on the PUBACK. While disconnected, sends fail at once with RETRY, and sends in flight
 * when the connection drops fail with RETRY (the client's offline queue is disabled): the engine
 * keeps them in the spool and sends them again, so a message may arrive twice but is never lost.
 *
 * <p>Downstream, through the sink's {@link DownstreamSubscription}: a QoS 1 message is acknowledged
 * to IoT Core only once the local broker took it (the client's manual acknowledgement control); if
 * that fails it stays unacknowledged and IoT Core redelivers it in the next session (persistent
 * session) or not at all (clean session). See {@link AwsDownstream} for a resumed session.
 *
 * <p>The client's life (certificate rotation, TLS faults, close) is {@link AwsConnector}'s; one
 * client's events, sends and deliveries are {@link AwsConnection}'s.
 */
final class AwsIotCoreSink implements Sink {

    private final String name;
    private final AwsIotCoreOptions options;
    private final DownstreamSubscription downstream = new DownstreamSubscription();
    private final AwsConnector connector;

    AwsIotCoreSink(String name, AwsIotCoreOptions options, SinkContext context) {
        this.name = name;
        this.options = options;
        this.connector = new AwsConnector(name, options, context, downstream);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletionStage<Void> subscribe(List<String> filters, DownstreamHandler handler) {
        return downstream.subscribe(filters, handler);
    }

    @Override
    public CompletionStage<Void> start() {
        connector.start();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        Optional<String> topicProblem = AwsTopics.problem(message.topic());
        if (topicProblem.isPresent()) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT,
                    "AWS IoT Core would refuse the topic: " + topicProblem.get()));
        }
        if (message.payload().length > AwsTopics.MAX_PAYLOAD_BYTES) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT,
                    "payload of " + message.payload().length + " bytes exceeds AWS IoT Core's limit of 128 KB ("
                            + AwsTopics.MAX_PAYLOAD_BYTES + " bytes)"));
        }
        Optional<AwsConnection> c = connector.connected();
        if (c.isEmpty()) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.RETRY,
                    "not connected to AWS IoT Core " + options.display()));
        }
        return c.get().publish(AwsClients.packet(message, options.forwardRetain()));
    }

    @Override
    public boolean isConnected() {
        return connector.connected().isPresent();
    }

    @Override
    public CompletionStage<Void> close() {
        return connector.close();
    }
}
