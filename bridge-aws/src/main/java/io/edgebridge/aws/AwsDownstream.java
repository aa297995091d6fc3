package io.edgebridge.aws;

import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.support.Futures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.crt.mqtt5.Mqtt5Client;
import software.amazon.awssdk.crt.mqtt5.QOS;
import software.amazon.awssdk.crt.mqtt5.packets.PublishPacket;
import software.amazon.awssdk.crt.mqtt5.packets.SubAckPacket;
import software.amazon.awssdk.crt.mqtt5.packets.SubscribePacket;

/**
 * One connection's downstream side: subscribes the sink's downstream filters after each successful
 * connect, and hands what arrives to the sink's {@link DownstreamSubscription}, counting each
 * delivery with the connection (session) it arrived on. The caller acknowledges a message to IoT
 * Core only once its delivery completed (the local broker took it).
 *
 * <p>When a reconnect resumes the session, IoT Core redelivers every message not acknowledged on
 * earlier connections, and the messages carry nothing that would tell a redelivery from a new one.
 * So the deliveries of earlier connections still waiting for the local broker are given up (their
 * waiting local publishes withdrawn); the redeliveries take their place, one at a time. A local
 * broker outage so leaves one local publish per message waiting however often the cloud connection
 * drops.
 */
final class AwsDownstream {

    /** Logs as the sink: one logger name for an operator to follow. */
    private static final Logger log = LoggerFactory.getLogger(AwsIotCoreSink.class);

    private final String sink;
    private final DownstreamSubscription subscription;
    /** Deliveries waiting for the local broker, by the connection they arrived on. */
    private final Map<CompletableFuture<Void>, Integer> deliveries = new ConcurrentHashMap<>();
    /** Successful connections so far; a message arriving before the next one is counted with it. */
    private volatile int connections;

    AwsDownstream(String sink, DownstreamSubscription subscription) {
        this.sink = sink;
        this.subscription = subscription;
    }

    /** The filters to subscribe after a connect; empty without downstream routes. */
    List<String> filters() {
        return subscription.filters();
    }

    /** A connection succeeded; {@code resumed}: its session was resumed, so earlier deliveries are given up. */
    void connected(boolean resumed) {
        int connection = ++connections;
        if (resumed) {
            deliveries.forEach((delivery, arrivedOn) -> {
                if (arrivedOn < connection) {
                    delivery.cancel(false);
                }
            });
        }
    }

    /**
     * Hands a message over; {@code connectedNow} says whether it arrived on the current connection or
     * before the next one. {@code acknowledge} runs once the local broker took it; on failure the
     * message stays unacknowledged and IoT Core redelivers it in the next session.
     */
    void received(PublishPacket p, boolean connectedNow, Runnable acknowledge) {
        Map<String, String> properties = new LinkedHashMap<>();
        if (p.getUserProperties() != null) {
            p.getUserProperties().forEach(u -> properties.put(u.key, u.value));
        }
        byte[] payload = p.getPayload() == null ? new byte[0] : p.getPayload();
        InboundMessage message = new InboundMessage(p.getTopic(), payload, properties,
                Optional.ofNullable(p.getContentType()));
        // Tagged with the connection it belongs to: the current one, or the next while reconnecting.
        int connection = connectedNow ? connections : connections + 1;
        CompletableFuture<Void> delivery = subscription.deliver(message).toCompletableFuture();
        deliveries.put(delivery, connection);
        delivery.whenComplete((ok, error) -> {
            deliveries.remove(delivery);
            if (error == null) {
                acknowledge.run();
            }
        });
    }

    /** Subscribes {@code filters} (QoS 1) on {@code client}; logs what IoT Core refused. */
    void subscribe(Mqtt5Client client, List<String> filters) {
        SubscribePacket.SubscribePacketBuilder b = new SubscribePacket.SubscribePacketBuilder();
        filters.forEach(filter -> b.withSubscription(filter, QOS.AT_LEAST_ONCE));
        CompletableFuture<SubAckPacket> subscribed;
        try {
            subscribed = client.subscribe(b.build());
        } catch (RuntimeException e) {
            log.atError().addKeyValue("sink", sink).addKeyValue("filters", filters)
                    .log("downstream subscription failed: {}", AwsFailures.crtReason(e));
            return;
        }
        subscribed.whenComplete((subAck, error) -> {
            if (error != null) {
                Throwable cause = Futures.unwrap(error);
                log.atError().addKeyValue("sink", sink).addKeyValue("filters", filters)
                        .log("downstream subscription failed: {}", cause instanceof RuntimeException re
                                ? AwsFailures.crtReason(re) : cause.toString());
                return;
            }
            List<String> refused = new ArrayList<>();
            List<SubAckPacket.SubAckReasonCode> codes = subAck.getReasonCodes();
            for (int i = 0; i < codes.size() && i < filters.size(); i++) {
                if (codes.get(i).getValue() >= 0x80) {
                    refused.add(filters.get(i) + " (" + codes.get(i) + ")");
                }
            }
            if (refused.isEmpty()) {
                log.atInfo().addKeyValue("sink", sink).addKeyValue("filters", filters).log("downstream subscribed");
            } else {
                log.atError().addKeyValue("sink", sink).addKeyValue("refused", refused)
                        .log("AWS IoT Core refused downstream subscriptions (check the policy's iot:Subscribe)");
            }
        });
    }
}
