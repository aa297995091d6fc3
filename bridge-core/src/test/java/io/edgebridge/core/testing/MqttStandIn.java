package io.edgebridge.core.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Just enough of an MQTT 3.1.1 broker to hold a connection open: accepts CONNECT, answers PINGREQ
 * and SUBSCRIBE, and takes PUBLISHes, but acknowledges them only after
 * {@link #startAcknowledging()} (which also acknowledges the ones held so far). A stand-in for a
 * cloud endpoint that stalls while its TCP connection stays up.
 */
public final class MqttStandIn implements AutoCloseable {

    private final NioEventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("mqtt-stand-in", true));
    private final ChannelGroup clients = new DefaultChannelGroup(group.next());
    private final java.util.concurrent.atomic.AtomicInteger connects = new java.util.concurrent.atomic.AtomicInteger();
    private final List<String> topics = new CopyOnWriteArrayList<>();
    private final List<String> payloads = new CopyOnWriteArrayList<>();
    /** Held (unacknowledged) QoS 1 publishes: channel and packet id. Touched on the event loop only. */
    private final List<Held> held = new ArrayList<>();
    private final Channel server;
    private volatile boolean acknowledging;

    public MqttStandIn(boolean acknowledging) throws InterruptedException {
        this.acknowledging = acknowledging;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        clients.add(ch);
                        ch.pipeline().addLast(new MqttDecoder(), MqttEncoder.INSTANCE, new Handler());
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    }

    public int port() {
        return ((java.net.InetSocketAddress) server.localAddress()).getPort();
    }

    /** Topics of every PUBLISH received, in order (duplicates included). */
    public List<String> topics() {
        return List.copyOf(topics);
    }

    public List<String> payloads() {
        return List.copyOf(payloads);
    }

    /** Acknowledges every held publish now and every later one at once. */
    public void startAcknowledging() throws Exception {
        group.submit(() -> {
            acknowledging = true;
            for (Held h : held) {
                puback(h.channel(), h.packetId());
            }
            held.clear();
        }).get(5, TimeUnit.SECONDS);
    }

    /** Connections open now. */
    public int connections() {
        return clients.size();
    }

    /** CONNECTs accepted so far (reconnects included). */
    public int connects() {
        return connects.get();
    }

    private static void puback(Channel channel, int packetId) {
        if (channel.isActive()) {
            channel.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBACK, false, MqttQoS.AT_MOST_ONCE,
                    false, 2), MqttMessageIdVariableHeader.from(packetId)));
        }
    }

    private record Held(Channel channel, int packetId) {
    }

    private final class Handler extends SimpleChannelInboundHandler<MqttMessage> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
            switch (msg.fixedHeader().messageType()) {
                case CONNECT -> {
                    connects.incrementAndGet();
                    ctx.writeAndFlush(MqttMessageBuilders.connAck()
                            .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false).build());
                }
                case PINGREQ -> ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGRESP, false,
                        MqttQoS.AT_MOST_ONCE, false, 0)));
                case SUBSCRIBE -> {
                    MqttSubscribeMessage subscribe = (MqttSubscribeMessage) msg;
                    int[] granted = subscribe.payload().topicSubscriptions().stream()
                            .mapToInt(s -> s.qualityOfService().value()).toArray();
                    ctx.writeAndFlush(new MqttSubAckMessage(new MqttFixedHeader(MqttMessageType.SUBACK, false,
                            MqttQoS.AT_MOST_ONCE, false, 0), MqttMessageIdVariableHeader.from(
                                    subscribe.variableHeader().messageId()), new MqttSubAckPayload(granted)));
                }
                case PUBLISH -> {
                    MqttPublishMessage publish = (MqttPublishMessage) msg;
                    topics.add(publish.variableHeader().topicName());
                    payloads.add(publish.payload().toString(StandardCharsets.UTF_8));
                    if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                        int id = publish.variableHeader().packetId();
                        if (acknowledging) {
                            puback(ctx.channel(), id);
                        } else {
                            held.add(new Held(ctx.channel(), id));
                        }
                    }
                }
                case DISCONNECT -> ctx.close();
                default -> {
                    // not needed by a stand-in
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
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
