package io.edgebridge.core.internal.sink.mqtt;

import io.edgebridge.config.template.Topics;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.mqtt.IncomingMessage;
import io.edgebridge.core.internal.mqtt.MqttLink;
import io.edgebridge.core.internal.mqtt.OutgoingMessage;
import io.edgebridge.core.internal.mqtt.PublishFailures;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards to an MQTT broker and, for downstream routes, subscribes there. Publishes made while
 * disconnected wait in the link and are sent, or re-sent, after it reconnects; downstream messages
 * are acknowledged to the broker only after the local PUBACK. A message the broker redelivers
 * (after a reconnect that resumed the session) while its first delivery still waits for the local
 * broker joins that delivery: one local copy, acknowledged on the connection it came on last.
 */
final class MqttSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(MqttSink.class);

    private final String name;
    private final MqttLink link;
    private final DownstreamSubscription downstream = new DownstreamSubscription();

    MqttSink(String name, MqttLink link) {
        this.name = name;
        this.link = link;
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
        link.onMessage(this::onCloudMessage);
        CompletableFuture<Void> connected = link.connect();
        List<String> filters = downstream.filters();
        if (!filters.isEmpty()) {
            connected.thenCompose(v -> link.subscribe(filters, false)).whenComplete((v, error) -> {
                if (error != null) {
                    log.atError().addKeyValue("sink", name).addKeyValue("filters", filters)
                            .log("downstream subscription failed: {}", error.getMessage());
                } else {
                    log.atInfo().addKeyValue("sink", name).addKeyValue("filters", filters)
                            .log("downstream subscribed");
                }
            });
        }
        return CompletableFuture.completedFuture(null);
    }

    private void onCloudMessage(IncomingMessage message) {
        // The session key names the message on its redelivery after a resumed session, so that
        // redelivery joins the delivery still waiting for the local broker instead of adding a copy.
        downstream.deliver(new InboundMessage(message.topic(), message.payload(), message.userProperties(),
                message.contentType(), message.sessionKey())).whenComplete((ok, error) -> {
                    if (error == null) {
                        message.ack();
                    }
                    // On failure it stays unacknowledged: the broker redelivers it in the next session.
                });
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        Optional<String> topicProblem = Topics.checkTopicName(message.topic(), false);
        if (topicProblem.isPresent()) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT,
                    "invalid MQTT topic: " + topicProblem.get()));
        }
        OutgoingMessage outgoing = new OutgoingMessage(message.topic(), message.payload(), message.qos(),
                message.retain(), message.properties(), message.contentType());
        CompletableFuture<Void> published;
        try {
            published = link.publish(outgoing);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(classify(e));
        }
        return published.handle((ok, error) -> {
            if (error != null) {
                throw new CompletionException(classify(error));
            }
            return null;
        });
    }

    static DeliveryException classify(Throwable error) {
        return PublishFailures.classify(error);
    }

    @Override
    public boolean isConnected() {
        return link.isConnected();
    }

    @Override
    public CompletionStage<Void> close() {
        return link.disconnect();
    }
}
