package io.edgebridge.core.internal.mqtt;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttReasonCodes;

/**
 * The broker broke the protocol (e.g. acknowledged a packet identifier we never used): the
 * connection ends as MQTT says, and the link reconnects as for any lost connection. Fired from the
 * head of the pipeline so the {@link MqttConnector} can name it in its log line.
 *
 * @param problem  what was wrong, without the packet identifier (the log limit's key)
 * @param packetId the packet identifier concerned, or 0
 */
record ProtocolError(String problem, int packetId) {

    /**
     * Ends the connection of {@code ctx}: MQTT 5 sends DISCONNECT with reason 0x82 (Protocol Error)
     * first, MQTT 3.1.1 just closes. A second error on a connection already ending is ignored.
     */
    static void raise(ChannelHandlerContext ctx, boolean v5, String problem, int packetId) {
        Channel channel = ctx.channel();
        if (!channel.isActive()) {
            return;
        }
        channel.pipeline().fireUserEventTriggered(new ProtocolError(problem, packetId));
        if (v5) {
            // Not gated on writability and not waited for: a broker that stopped reading is closed all the same.
            channel.writeAndFlush(MqttMessageBuilders.disconnect()
                    .reasonCode(MqttReasonCodes.Disconnect.PROTOCOL_ERROR.byteValue()).build());
        }
        channel.close();
    }

    String describe() {
        return "protocol error: " + problem;
    }
}
