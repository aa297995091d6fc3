package io.edgebridge.core.internal.mqtt;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The receiving half of a link: the subscriptions it wants (sent again on every connection whose
 * broker does not hold them), SUBACK/UNSUBACK, and incoming publishes, acknowledged only when the
 * caller says so and only on the connection they came on.
 *
 * <p>One instance per link, added to each of its connections in turn; state on the link's event loop.
 */
@ChannelHandler.Sharable
final class MqttSubscriptions extends ChannelInboundHandlerAdapter {

    private final String broker;
    private final boolean v5;
    private final PacketIds packetIds;
    private final Executor loop;
    private volatile Consumer<IncomingMessage> handler = IncomingMessage::ack;

    /** What the link wants subscribed, in request order. */
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final Map<Integer, Subscription> subscribing = new HashMap<>();
    /** Filters to unsubscribe from; sent when connected, kept until the broker acknowledges. */
    private final List<Unsubscription> unsubscriptions = new ArrayList<>();
    private final Map<Integer, Unsubscription> unsubscribing = new HashMap<>();
    /** The connection's context from its CONNACK on; null while disconnected. */
    private ChannelHandlerContext ctx;
    private boolean needsFlush;
    /**
     * Counts the broker sessions this link has had: it grows with every CONNACK without a session
     * present. With a packet identifier it names an incoming message for as long as it is
     * unacknowledged (see {@link IncomingMessage#sessionKey()}).
     */
    private long sessionEpoch;

    /**
     * @param broker how refusals name the broker
     * @param loop   hands work to the link's event loop (its inbox); {@code Runnable::run} on the loop itself
     */
    MqttSubscriptions(String broker, boolean v5, PacketIds packetIds, Executor loop) {
        this.broker = broker;
        this.v5 = v5;
        this.packetIds = packetIds;
        this.loop = loop;
    }

    /** Any thread. */
    void onMessage(Consumer<IncomingMessage> handler) {
        this.handler = handler;
    }

    /** Any thread. Completes at the broker's SUBACK (on the next connection when disconnected now). */
    CompletableFuture<Void> subscribe(List<String> filters, boolean noLocal) {
        if (filters.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Subscription subscription = new Subscription(List.copyOf(filters), noLocal && v5);
        loop.execute(() -> {
            subscriptions.add(subscription);
            if (ctx != null) {
                sendSubscribe(subscription);
            }
        });
        return subscription.acknowledged;
    }

    /** Any thread. Completes at the broker's UNSUBACK (on the next connection when disconnected now). */
    CompletableFuture<Void> unsubscribe(List<String> filters) {
        if (filters.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Unsubscription unsubscription = new Unsubscription(List.copyOf(filters));
        loop.execute(() -> {
            List<Subscription> kept = new ArrayList<>();
            for (Subscription s : subscriptions) {
                if (!s.acknowledged.isDone() || s.acknowledged.isCompletedExceptionally()) {
                    kept.add(s); // a SUBSCRIBE still open: the UNSUBSCRIBE follows it on the wire
                    continue;
                }
                List<String> remaining = s.filters.stream().filter(f -> !filters.contains(f)).toList();
                if (!remaining.isEmpty()) {
                    Subscription rest = new Subscription(remaining, s.noLocal);
                    rest.acknowledged.complete(null);
                    kept.add(rest);
                }
            }
            subscriptions.clear();
            subscriptions.addAll(kept);
            unsubscriptions.add(unsubscription);
            if (ctx != null) {
                sendUnsubscribe(unsubscription);
            }
        });
        return unsubscription.acknowledged;
    }

    /** Fails what is still waiting for the broker: the link is closed. */
    void close(MqttConnectionException gone) {
        for (Subscription s : subscriptions) {
            s.acknowledged.completeExceptionally(gone);
        }
        for (Unsubscription u : unsubscriptions) {
            u.acknowledged.completeExceptionally(gone);
        }
    }

    void flushIfNeeded() {
        if (needsFlush && ctx != null) {
            needsFlush = false;
            ctx.flush();
        }
    }

    private void write(MqttMessage message) {
        ctx.write(message, ctx.voidPromise());
        needsFlush = true;
    }

    // ------------------------------------------------------------------ the connection's events

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SessionStarted session) {
            start(ctx, session.sessionPresent());
        }
        ctx.fireUserEventTriggered(event);
    }

    /** A broker that resumed the session still holds what it acknowledged; a new session holds nothing. */
    private void start(ChannelHandlerContext ctx, boolean sessionPresent) {
        this.ctx = ctx;
        if (!sessionPresent) {
            sessionEpoch++;
        }
        for (Subscription s : subscriptions) {
            if (!sessionPresent || !s.acknowledged.isDone()) {
                sendSubscribe(s);
            }
        }
        for (Unsubscription u : List.copyOf(unsubscriptions)) {
            if (sessionPresent) {
                sendUnsubscribe(u);
            } else {
                unsubscriptions.remove(u); // a new session has no subscriptions to remove
                u.acknowledged.complete(null);
            }
        }
        flushIfNeeded();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        MqttMessage message = (MqttMessage) msg;
        MqttMessageType type = message.fixedHeader().messageType();
        if (type != MqttMessageType.PUBLISH && type != MqttMessageType.PUBREL && type != MqttMessageType.SUBACK
                && type != MqttMessageType.UNSUBACK) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            switch (type) {
                case PUBLISH -> onPublish(ctx, (MqttPublishMessage) message);
                case PUBREL -> onPubRel(ctx, message);
                case SUBACK -> onSubAck(ctx, (MqttSubAckMessage) message);
                default -> onUnsubAck(ctx, message);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushIfNeeded();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx == this.ctx) {
            this.ctx = null;
            needsFlush = false;
            // Requests without an answer are sent again on the next connection, with new identifiers.
            subscribing.keySet().forEach(packetIds::release);
            unsubscribing.keySet().forEach(packetIds::release);
            subscribing.clear();
            unsubscribing.clear();
        }
        ctx.fireChannelInactive();
    }

    // ------------------------------------------------------------------ subscribing

    private void sendSubscribe(Subscription subscription) {
        int id = packetIds.take();
        subscribing.put(id, subscription);
        MqttMessageBuilders.SubscribeBuilder subscribe = MqttMessageBuilders.subscribe().messageId(id);
        for (String filter : subscription.filters) {
            subscribe.addSubscription(filter, new MqttSubscriptionOption(MqttQoS.AT_LEAST_ONCE, subscription.noLocal,
                    false, MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE));
        }
        write(subscribe.build());
    }

    private void onSubAck(ChannelHandlerContext ctx, MqttSubAckMessage ack) {
        int id = ack.variableHeader().messageId();
        Subscription subscription = subscribing.remove(id);
        if (subscription == null) {
            ProtocolError.raise(ctx, v5, "SUBACK for an unknown packet identifier", id);
            return;
        }
        packetIds.release(id);
        List<Integer> codes = ack.payload().reasonCodes();
        for (int i = 0; i < codes.size(); i++) {
            if (codes.get(i) >= 0x80) {
                String filter = i < subscription.filters.size() ? subscription.filters.get(i) : "?";
                subscription.acknowledged.completeExceptionally(new IllegalStateException("broker "
                        + broker + " refused the subscription '" + filter + "' (reason code 0x"
                        + Integer.toHexString(codes.get(i)) + ")"));
                return;
            }
        }
        subscription.acknowledged.complete(null);
    }

    private void sendUnsubscribe(Unsubscription unsubscription) {
        int id = packetIds.take();
        unsubscribing.put(id, unsubscription);
        MqttMessageBuilders.UnsubscribeBuilder unsubscribe = MqttMessageBuilders.unsubscribe().messageId(id);
        unsubscription.filters.forEach(unsubscribe::addTopicFilter);
        write(unsubscribe.build());
    }

    private void onUnsubAck(ChannelHandlerContext ctx, MqttMessage ack) {
        int id = ack.variableHeader() instanceof MqttMessageIdVariableHeader header ? header.messageId() : 0;
        Unsubscription unsubscription = unsubscribing.remove(id);
        if (unsubscription == null) {
            ProtocolError.raise(ctx, v5, "UNSUBACK for an unknown packet identifier", id);
            return;
        }
        packetIds.release(id);
        // A "no subscription existed" reason code is fine: either way the filters are gone.
        unsubscriptions.remove(unsubscription);
        unsubscription.acknowledged.complete(null);
    }

    // ------------------------------------------------------------------ receiving

    private void onPublish(ChannelHandlerContext ctx, MqttPublishMessage publish) {
        int qos = publish.fixedHeader().qosLevel().value();
        int id = publish.variableHeader().packetId();
        byte[] payload = ByteBufUtil.getBytes(publish.payload());
        Map<String, String> userProperties = Map.of();
        Optional<String> contentType = Optional.empty();
        Optional<byte[]> correlationData = Optional.empty();
        if (v5) {
            MqttProperties properties = publish.variableHeader().properties();
            MqttProperties.MqttProperty<?> correlation =
                    properties.getProperty(MqttProperties.MqttPropertyType.CORRELATION_DATA.value());
            if (correlation != null && correlation.value() instanceof byte[] bytes) {
                correlationData = Optional.of(bytes);
            }
            List<? extends MqttProperties.MqttProperty> users =
                    properties.getProperties(MqttProperties.MqttPropertyType.USER_PROPERTY.value());
            if (!users.isEmpty()) {
                userProperties = new LinkedHashMap<>();
                for (MqttProperties.MqttProperty<?> p : users) {
                    collectUserProperties(p, userProperties);
                }
            }
            MqttProperties.MqttProperty<?> type = properties.getProperty(MqttProperties.MqttPropertyType.CONTENT_TYPE.value());
            if (type != null) {
                contentType = Optional.of((String) type.value());
            }
        }
        // Acknowledged on the connection it came on, or not at all: the broker redelivers it on the next one.
        Runnable acknowledger = qos == 0 ? () -> { } : () -> loop.execute(() -> {
            if (this.ctx == ctx && ctx.channel().isActive()) {
                write(qos == 1 ? MqttMessageBuilders.pubAck().packetId(id).build() : reply(MqttMessageType.PUBREC, id));
            }
        });
        Optional<String> sessionKey = qos == 0 ? Optional.empty() : Optional.of(sessionEpoch + ":" + id);
        handler.accept(new IncomingMessage(publish.variableHeader().topicName(), payload, qos,
                publish.fixedHeader().isRetain(), userProperties, contentType, correlationData, sessionKey,
                acknowledger));
    }

    @SuppressWarnings("unchecked")
    private static void collectUserProperties(MqttProperties.MqttProperty<?> property, Map<String, String> into) {
        Object value = property.value();
        if (value instanceof MqttProperties.StringPair pair) {
            into.put(pair.key, pair.value);
        } else if (value instanceof List<?> pairs) {
            for (MqttProperties.StringPair pair : (List<MqttProperties.StringPair>) pairs) {
                into.put(pair.key, pair.value);
            }
        }
    }

    private void onPubRel(ChannelHandlerContext ctx, MqttMessage rel) {
        int id = ((MqttMessageIdVariableHeader) rel.variableHeader()).messageId();
        if (ctx == this.ctx) {
            write(reply(MqttMessageType.PUBCOMP, id));
        }
    }

    private static MqttMessage reply(MqttMessageType type, int id) {
        return new MqttMessage(new MqttFixedHeader(type, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(id));
    }

    // ------------------------------------------------------------------ state records

    /** One SUBSCRIBE request; re-sent after a reconnect that lost the session. */
    private static final class Subscription {
        final List<String> filters;
        final boolean noLocal;
        final CompletableFuture<Void> acknowledged = new CompletableFuture<>();

        Subscription(List<String> filters, boolean noLocal) {
            this.filters = filters;
            this.noLocal = noLocal;
        }
    }

    /** One UNSUBSCRIBE request; re-sent after a reconnect that resumed the session. */
    private static final class Unsubscription {
        final List<String> filters;
        final CompletableFuture<Void> acknowledged = new CompletableFuture<>();

        Unsubscription(List<String> filters) {
            this.filters = filters;
        }
    }
}
