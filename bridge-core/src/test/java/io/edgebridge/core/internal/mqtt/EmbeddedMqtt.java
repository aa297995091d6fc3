package io.edgebridge.core.internal.mqtt;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * For the link's handler tests on Netty's {@code EmbeddedChannel}: a connection whose session has
 * started (what {@link MqttConnector} does at a CONNACK), the packets the broker sends, and what the
 * handlers wrote, read back as plain values.
 */
final class EmbeddedMqtt {

    private EmbeddedMqtt() {
    }

    /** One packet the handlers wrote: its type, packet identifier, DUP flag, topic (or first filter) and reason code. */
    record Packet(MqttMessageType type, int packetId, boolean dup, String topic, int reasonCode) {
    }

    /** Stands where the connector would: records the protocol errors raised on the connection. */
    @ChannelHandler.Sharable
    static final class ProtocolErrors extends ChannelInboundHandlerAdapter {
        final List<ProtocolError> raised = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ProtocolError error) {
                raised.add(error);
            }
            ctx.fireUserEventTriggered(event);
        }
    }

    /** A new connection through {@code handlers}, its session started as a CONNACK would. */
    static EmbeddedChannel connect(ProtocolErrors errors, SessionStarted session, ChannelHandler... handlers) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(errors);
        channel.pipeline().addLast(handlers);
        channel.pipeline().fireUserEventTriggered(session);
        return channel;
    }

    static SessionStarted newSession() {
        return new SessionStarted(false, MqttConnector.NO_LIMIT, Long.MAX_VALUE);
    }

    static SessionStarted resumedSession() {
        return new SessionStarted(true, MqttConnector.NO_LIMIT, Long.MAX_VALUE);
    }

    /** Everything written and flushed so far, in order (the messages are released). */
    static List<Packet> written(EmbeddedChannel channel) {
        List<Packet> packets = new ArrayList<>();
        for (Object o = channel.readOutbound(); o != null; o = channel.readOutbound()) {
            try {
                packets.add(packet((MqttMessage) o));
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        return packets;
    }

    private static Packet packet(MqttMessage message) {
        MqttMessageType type = message.fixedHeader().messageType();
        boolean dup = message.fixedHeader().isDup();
        if (message instanceof MqttPublishMessage publish) {
            return new Packet(type, publish.variableHeader().packetId(), dup, publish.variableHeader().topicName(), 0);
        }
        if (message instanceof MqttSubscribeMessage subscribe) {
            return new Packet(type, subscribe.variableHeader().messageId(), dup,
                    subscribe.payload().topicSubscriptions().get(0).topicName(), 0);
        }
        if (message instanceof MqttUnsubscribeMessage unsubscribe) {
            return new Packet(type, unsubscribe.variableHeader().messageId(), dup, unsubscribe.payload().topics().get(0), 0);
        }
        if (message.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader header) {
            return new Packet(type, 0, dup, null, header.reasonCode() & 0xFF);
        }
        if (message.variableHeader() instanceof MqttMessageIdVariableHeader header) {
            return new Packet(type, header.messageId(), dup, null, 0);
        }
        return new Packet(type, 0, dup, null, 0);
    }

    /** PUBACK, PUBREC or PUBCOMP from the broker, with reason code 0. */
    static MqttMessage reply(MqttMessageType type, int packetId) {
        return reply(type, packetId, 0);
    }

    static MqttMessage reply(MqttMessageType type, int packetId, int reasonCode) {
        return new MqttMessage(new MqttFixedHeader(type, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttPubReplyMessageVariableHeader(packetId, (byte) reasonCode, MqttProperties.NO_PROPERTIES));
    }

    static MqttMessage subAck(int packetId, int... reasonCodes) {
        return new MqttSubAckMessage(new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(packetId), new MqttSubAckPayload(reasonCodes));
    }

    static MqttMessage unsubAck(int packetId) {
        return new MqttUnsubAckMessage(new MqttFixedHeader(MqttMessageType.UNSUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(packetId));
    }

    static MqttPublishMessage incoming(String topic, int qos, int packetId, String payload) {
        return MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).messageId(packetId)
                .payload(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8)).build();
    }
}
