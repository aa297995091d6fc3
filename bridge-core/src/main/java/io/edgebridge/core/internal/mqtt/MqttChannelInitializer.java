package io.edgebridge.core.internal.mqtt;

import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.TlsConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** TLS (optional), the MQTT codec, keep-alive, and the handler that feeds the session. */
final class MqttChannelInitializer extends ChannelInitializer<Channel> {

    /** MQTT's own limit on a packet. */
    private static final int MAX_PACKET = 268_435_455;

    private final MqttEndpointConfig endpoint;
    private final Optional<SslContext> ssl;
    private final NettyMqttLink link;

    MqttChannelInitializer(MqttEndpointConfig endpoint, Optional<SslContext> ssl, NettyMqttLink link) {
        this.endpoint = endpoint;
        this.ssl = ssl;
        this.link = link;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline pipeline = ch.pipeline();
        if (ssl.isPresent()) {
            SslHandler tls = ssl.get().newHandler(ch.alloc(), endpoint.host(), endpoint.port());
            boolean verify = endpoint.tlsFiles().map(TlsConfig::verifyHostname).orElse(true);
            if (verify) {
                SSLEngine engine = tls.engine();
                SSLParameters parameters = engine.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                engine.setSSLParameters(parameters);
            }
            pipeline.addLast("tls", tls);
        }
        pipeline.addLast("decoder", new MqttDecoder(MAX_PACKET));
        pipeline.addLast("encoder", MqttEncoder.INSTANCE);
        long keepAlive = endpoint.keepAlive().toMillis();
        if (keepAlive > 0) {
            // Ping after keepAlive without writing; give up after 1.5 × keepAlive without reading (in ms:
            // in whole seconds, 1.5 × 1 s would round down to the ping's own second).
            pipeline.addLast("keep-alive", new IdleStateHandler(keepAlive * 3 / 2, keepAlive, 0, TimeUnit.MILLISECONDS));
        }
        pipeline.addLast("session", new SessionHandler(link));
    }

    /** Routes decoded packets to the session; runs on the link's event loop. */
    private static final class SessionHandler extends ChannelInboundHandlerAdapter {

        private final NettyMqttLink link;
        private Throwable lastCause;

        SessionHandler(NettyMqttLink link) {
            this.link = link;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            link.channelReady(ctx.channel());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                MqttMessage message = (MqttMessage) msg;
                if (message.decoderResult().isFailure()) {
                    lastCause = message.decoderResult().cause();
                    ctx.close();
                    return;
                }
                Channel ch = ctx.channel();
                switch (message.fixedHeader().messageType()) {
                    case CONNACK -> link.onConnAck(ch, (MqttConnAckMessage) message);
                    case PUBLISH -> link.onPublish(ch, (MqttPublishMessage) message);
                    case PUBACK -> link.onPubAck(ch, message);
                    case PUBREC -> link.onPubRec(ch, message);
                    case PUBREL -> link.onPubRel(ch, message);
                    case PUBCOMP -> link.onPubComp(ch, message);
                    case SUBACK -> link.onSubAck(ch, (MqttSubAckMessage) message);
                    case DISCONNECT -> link.onServerDisconnect(ch, message);
                    case UNSUBACK -> link.onUnsubAck(ch, message);
                    case PINGRESP -> { }
                    default -> {
                        lastCause = new IllegalStateException("unexpected " + message.fixedHeader().messageType());
                        ctx.close();
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            link.readComplete(ctx.channel());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent idle) {
                if (idle.state() == IdleState.WRITER_IDLE) {
                    link.sendPing(ctx.channel());
                } else if (idle.state() == IdleState.READER_IDLE) {
                    lastCause = new IllegalStateException("keep-alive timeout: the broker went silent");
                    ctx.close();
                }
            } else if (event instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
                lastCause = handshake.cause();
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (lastCause == null) {
                lastCause = cause;
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            link.connectionLost(ctx.channel(), lastCause);
        }
    }
}
