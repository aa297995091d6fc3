package io.edgebridge.core.internal.mqtt;

import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.core.support.BackoffDelays;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection half of a link: opens TCP (and TLS), sends CONNECT, takes the CONNACK (then fires
 * {@link SessionStarted} to the handlers behind it), keeps the connection alive, and reconnects with
 * backoff when it is lost. One instance per link, added to each of its connections in turn, never
 * to two at once; its state is confined to the link's event loop.
 */
@ChannelHandler.Sharable
final class MqttConnector extends ChannelInboundHandlerAdapter {

    /** The link's log lines keep one logger name, whichever part of it logs (operators filter on it). */
    private static final Logger log = LoggerFactory.getLogger(NettyMqttLink.class);
    static final int NO_LIMIT = 65_535;
    /**
     * A connection must last this long before the reconnect backoff starts over: a broker that drops
     * the bridge right after each CONNACK then sees the backoff grow, not a reconnect every few ms.
     */
    private static final long STABLE_CONNECTION_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How long a DISCONNECT may take to be written before the link closes its connection anyway. */
    private static final long DISCONNECT_GRACE_MILLIS = 2_000;
    /**
     * Netty's outbound buffer of one connection: publishes wait in the link's queue (unencoded, bounded
     * by the callers' in-flight windows) while more than the high mark is buffered, until it drains
     * below the low mark. A few hundred KiB keep a fast link busy; the kernel's socket buffer adds more.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    private final MqttEndpointConfig endpoint;
    private final String name;
    private final boolean v5;
    private final int receiveMaximum;
    private final EventLoop loop;
    private final MqttChannelInitializer initializer;
    private final ChannelHandler failures = new Failures();
    private final ConnectionLossLog lossLog;
    private final CompletableFuture<Void> firstConnect = new CompletableFuture<>();
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private volatile boolean connected;

    private Channel channel;
    private boolean started;
    private boolean closed;
    private int attempts;
    private long connectedAtNanos;
    private ScheduledFuture<?> pendingReconnect;
    /** Why the current connection is ending (refused, DISCONNECT, protocol error), for the reconnect log line. */
    private String lostReason;
    /** When the PINGREQ now unanswered was sent (0: none, or something was read since). Event loop only. */
    private long pingSentAt;
    /** The protocol error ending the current connection, if any. */
    private ProtocolError protocolError;
    /** The first failure seen on the current connection (its cause when it closes). */
    private Throwable lastCause;

    MqttConnector(MqttEndpointConfig endpoint, String name, Optional<SslContext> ssl, int receiveMaximum,
            EventLoop loop, ChannelHandler subscriptions, ChannelHandler flights) {
        this.endpoint = endpoint;
        this.name = name;
        this.v5 = endpoint.version() == MqttEndpointConfig.MqttVersion.V5;
        this.receiveMaximum = receiveMaximum;
        this.loop = loop;
        this.initializer = new MqttChannelInitializer(endpoint, ssl, this, subscriptions, flights);
        this.lossLog = new ConnectionLossLog(endpoint, name);
    }

    /** Any thread. Completes at the first accepted connection; fails only when the link is closed first. */
    CompletableFuture<Void> firstConnect() {
        return firstConnect;
    }

    /** Any thread. */
    boolean isConnected() {
        return connected;
    }

    boolean isClosed() {
        return closed;
    }

    /** Starts connecting (once). */
    void start() {
        if (!started && !closed) {
            started = true;
            openConnection();
        }
    }

    /** Any thread. Completes once the link is closed and its connection ended. */
    CompletableFuture<Void> closedFuture() {
        return closedFuture;
    }

    /** Stops reconnecting and ends the connection with a DISCONNECT. Idempotent. */
    void close(MqttConnectionException gone) {
        if (closed) {
            return;
        }
        closed = true;
        connected = false;
        if (pendingReconnect != null) {
            pendingReconnect.cancel(false);
        }
        firstConnect.completeExceptionally(gone);
        Channel ch = channel;
        channel = null;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(MqttMessageBuilders.disconnect().build()).addListener(f -> ch.close());
            // A broker that stopped reading never takes the DISCONNECT: the connection ends all the same.
            ch.eventLoop().schedule(() -> ch.close(), DISCONNECT_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(f -> closedFuture.complete(null));
        } else {
            closedFuture.complete(null);
        }
    }

    private void openConnection() {
        pendingReconnect = null;
        if (closed) {
            return;
        }
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) endpoint.connectTimeout().toMillis())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .handler(initializer);
        ChannelFuture connecting = bootstrap.connect(endpoint.host(), endpoint.port());
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                connectionLost(connecting.channel(), f.cause());
            }
        });
    }

    // ------------------------------------------------------------------ the channel's events

    /** TCP (and TLS) is up: send CONNECT. */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (closed) {
            ch.close();
            return;
        }
        channel = ch;
        pingSentAt = 0;
        lastCause = null;
        lostReason = null;
        protocolError = null;
        ctx.writeAndFlush(connectMessage(), ctx.voidPromise());
        ch.eventLoop().schedule(() -> {
            if (channel == ch && !connected) {
                log.atDebug().addKeyValue("link", name).log("no CONNACK in time");
                ch.close();
            }
        }, endpoint.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    private MqttMessage connectMessage() {
        MqttMessageBuilders.ConnectBuilder connect = MqttMessageBuilders.connect()
                .protocolVersion(v5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1)
                .clientId(endpoint.clientId())
                .cleanSession(endpoint.sessionExpiry().isZero())
                .keepAlive((int) endpoint.keepAlive().toSeconds());
        if (endpoint.username().isPresent()) {
            connect.hasUser(true).username(endpoint.username().get());
        }
        if (endpoint.password().isPresent()) {
            connect.hasPassword(true).password(endpoint.password().get().reveal().getBytes(StandardCharsets.UTF_8));
        }
        if (v5) {
            MqttProperties properties = new MqttProperties();
            long expiry = Math.min(endpoint.sessionExpiry().toSeconds(), 0xFFFF_FFFFL);
            properties.add(new MqttProperties.IntegerProperty(
                    MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), (int) expiry));
            properties.add(new MqttProperties.IntegerProperty(
                    MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value(), receiveMaximum));
            connect.properties(properties);
        }
        return connect.build();
    }

    /** CONNACK, DISCONNECT and PINGRESP stop here; the packets of a session go on to the handlers behind. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pingSentAt = 0; // the broker is alive
        MqttMessage message = (MqttMessage) msg;
        if (message.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            fail(ctx, message.decoderResult().cause());
            return;
        }
        MqttMessageType type = message.fixedHeader().messageType();
        switch (type) {
            case PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK -> {
                if (connected && ctx.channel() == channel) {
                    ctx.fireChannelRead(msg);
                } else {
                    ReferenceCountUtil.release(msg);
                    if (!closed && ctx.channel() == channel) {
                        ProtocolError.raise(ctx, v5, type + " before CONNACK", 0);
                    } // else: the link is closing this connection
                }
            }
            case CONNACK -> onConnAck(ctx, (MqttConnAckMessage) message);
            case DISCONNECT -> onServerDisconnect(ctx, message);
            case PINGRESP -> { }
            default -> {
                ReferenceCountUtil.release(msg);
                ProtocolError.raise(ctx, v5, "unexpected " + type, 0);
            }
        }
    }

    private void onConnAck(ChannelHandlerContext ctx, MqttConnAckMessage ack) {
        if (ctx.channel() != channel) {
            return;
        }
        if (connected) {
            ProtocolError.raise(ctx, v5, "a second CONNACK", 0);
            return;
        }
        MqttConnectReturnCode code = ack.variableHeader().connectReturnCode();
        if (code != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            lostReason = "broker refused the connection: " + code.name().replace("CONNECTION_REFUSED_", "");
            ctx.close();
            return;
        }
        connected = true;
        connectedAtNanos = System.nanoTime();
        boolean sessionPresent = ack.variableHeader().isSessionPresent();
        MqttProperties properties = ack.variableHeader().properties();
        int maximumPacketSize = intProperty(properties, MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE, -1);
        SessionStarted session = new SessionStarted(sessionPresent,
                intProperty(properties, MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM, NO_LIMIT),
                maximumPacketSize > 0 ? maximumPacketSize : Long.MAX_VALUE);
        log.atInfo().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri())
                .log("connected ({}{})", v5 ? "MQTT 5" : "MQTT 3.1.1", sessionPresent ? ", session resumed" : "");
        ctx.fireUserEventTriggered(session);
        firstConnect.complete(null);
    }

    private void onServerDisconnect(ChannelHandlerContext ctx, MqttMessage disconnect) {
        int reason = disconnect.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader header
                ? header.reasonCode() & 0xFF : 0;
        lostReason = "broker sent DISCONNECT" + (reason != 0 ? " (reason code 0x" + Integer.toHexString(reason)
                + disconnectReasonName(reason) + ")" : "");
        ctx.close();
    }

    private static String disconnectReasonName(int reason) {
        try {
            return " " + MqttReasonCodes.Disconnect.valueOf((byte) reason).name();
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.WRITER_IDLE && ctx.channel() == channel) {
                ping(ctx);
            } else if (idle.state() == IdleState.READER_IDLE) {
                // Silent for 1.5 keep-alives. Only a PINGREQ left unanswered for half a keep-alive proves
                // the broker gone: our own writes (publishes the broker does not acknowledge) postpone
                // the writer-idle ping, so the silence may just be a broker that was not asked yet.
                long now = System.nanoTime();
                if (pingSentAt != 0 && now - pingSentAt >= endpoint.keepAlive().toNanos() / 2) {
                    fail(ctx, new IllegalStateException("keep-alive timeout: the broker went silent"));
                } else if (pingSentAt == 0 && ctx.channel() == channel) {
                    ping(ctx);
                }
            }
        } else if (event instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
            recordCause(ctx, handshake.cause());
        } else if (event instanceof ProtocolError error && ctx.channel() == channel && protocolError == null) {
            protocolError = error;
            lostReason = error.describe();
        }
        ctx.fireUserEventTriggered(event);
    }

    private void ping(ChannelHandlerContext ctx) {
        if (pingSentAt == 0) {
            pingSentAt = System.nanoTime();
        }
        ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false,
                MqttQoS.AT_MOST_ONCE, false, 0)), ctx.voidPromise());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause);
    }

    /** The last handler of the pipeline: what the handlers behind the connector throw ends the connection too. */
    ChannelHandler failures() {
        return failures;
    }

    @ChannelHandler.Sharable
    private final class Failures extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(ctx, cause);
        }
    }

    /** Ends the connection for {@code cause}, which names it in the reconnect log line. */
    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        recordCause(ctx, cause);
        ctx.close();
    }

    private void recordCause(ChannelHandlerContext ctx, Throwable cause) {
        if (lastCause == null && ctx.channel() == channel) {
            lastCause = cause;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connectionLost(ctx.channel(), lastCause);
        ctx.fireChannelInactive();
    }

    // ------------------------------------------------------------------ reconnecting

    private void connectionLost(Channel ch, Throwable cause) {
        if (ch != null && channel != null && ch != channel) {
            return; // an old connection
        }
        boolean wasConnected = connected;
        connected = false;
        channel = null;
        if (closed) {
            return;
        }
        Optional<String> reason = Optional.ofNullable(lostReason);
        Optional<ProtocolError> violation = Optional.ofNullable(protocolError);
        lostReason = null;
        protocolError = null;
        lastCause = null;
        if (wasConnected && System.nanoTime() - connectedAtNanos >= STABLE_CONNECTION_NANOS) {
            attempts = 0;
        }
        long delay = BackoffDelays.millis(endpoint.reconnect(), attempts);
        lossLog.report(wasConnected, attempts, delay, reason, cause, violation);
        attempts++;
        pendingReconnect = loop.schedule(this::openConnection, delay, TimeUnit.MILLISECONDS);
    }

    private static int intProperty(MqttProperties properties, MqttProperties.MqttPropertyType type, int fallback) {
        MqttProperties.MqttProperty<?> p = properties.getProperty(type.value());
        return p == null ? fallback : (Integer) p.value();
    }
}
