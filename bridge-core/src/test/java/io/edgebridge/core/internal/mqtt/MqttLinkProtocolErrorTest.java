package io.edgebridge.core.internal.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.core.testing.LogCapture;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A broker that acknowledges a packet identifier the link never used broke the protocol: the link
 * ends the connection as MQTT says (MQTT 5: DISCONNECT with 0x82 first), says so once, reconnects,
 * and sends the unacknowledged publish again, so nothing is lost. It used to ignore the
 * acknowledgement and wait for the real one for ever.
 */
@Timeout(60)
class MqttLinkProtocolErrorTest {

    @ParameterizedTest
    @EnumSource(MqttVersion.class)
    void aPubackForAPacketIdNeverSent_endsTheConnection_andThePublishIsSentAgain(MqttVersion version) throws Exception {
        try (LogCapture logs = LogCapture.start(); WrongAckBroker broker = new WrongAckBroker()) {
            MqttEndpointConfig endpoint = new MqttEndpointConfig("127.0.0.1", broker.port(), false,
                    "protocol-error-test", Optional.empty(), Optional.empty(), Optional.empty(), version, Duration.ZERO,
                    Duration.ofSeconds(30), Duration.ofSeconds(2), new Backoff(Duration.ofMillis(50), Duration.ofMillis(100), 0));
            MqttLink link = MqttLinks.create(endpoint, "test", 10);
            link.onMessage(IncomingMessage::ack);
            link.connect().get(10, TimeUnit.SECONDS);

            link.publish(new OutgoingMessage("p/1", "one".getBytes(StandardCharsets.UTF_8), 1, false, Map.of(),
                    Optional.empty())).get(10, TimeUnit.SECONDS);

            assertThat(broker.connections.get()).isEqualTo(2);
            assertThat(broker.published).containsExactly("p/1", "p/1");
            assertThat(broker.disconnectReasons).isEqualTo(version == MqttVersion.V5 ? List.of(0x82) : List.of());
            assertThat(logs.lines()).filteredOn(l -> l.contains("protocol error")).singleElement().asString()
                    .contains("PUBACK for an unknown packet identifier");
            link.disconnect().get(5, TimeUnit.SECONDS);
        }
    }

    /** Accepts every connection; on the first, acknowledges each QoS 1 PUBLISH with its identifier + 100. */
    private static final class WrongAckBroker implements AutoCloseable {

        private final NioEventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("wrong-ack", true));
        private final Channel server;
        final AtomicInteger connections = new AtomicInteger();
        final List<String> published = new CopyOnWriteArrayList<>();
        final List<Integer> disconnectReasons = new CopyOnWriteArrayList<>();

        WrongAckBroker() throws InterruptedException {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new MqttDecoder(), MqttEncoder.INSTANCE,
                                    new Session(connections.incrementAndGet()));
                        }
                    })
                    .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        private final class Session extends SimpleChannelInboundHandler<MqttMessage> {
            private final int connection;

            Session(int connection) {
                this.connection = connection;
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
                switch (msg.fixedHeader().messageType()) {
                    case CONNECT -> ctx.writeAndFlush(MqttMessageBuilders.connAck()
                            .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false).build());
                    case PUBLISH -> {
                        MqttPublishMessage publish = (MqttPublishMessage) msg;
                        published.add(publish.variableHeader().topicName());
                        int id = publish.variableHeader().packetId() + (connection == 1 ? 100 : 0);
                        ctx.writeAndFlush(MqttMessageBuilders.pubAck().packetId(id).build());
                    }
                    case PINGREQ -> ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP,
                            false, MqttQoS.AT_MOST_ONCE, false, 0)));
                    case DISCONNECT -> {
                        if (msg.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader header) {
                            disconnectReasons.add(header.reasonCode() & 0xFF);
                        }
                        ctx.close();
                    }
                    default -> {
                    }
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }

        @Override
        public void close() {
            server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
