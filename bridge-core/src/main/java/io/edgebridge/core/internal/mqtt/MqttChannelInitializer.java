package io.edgebridge.core.internal.mqtt;

import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.TlsConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * One connection's pipeline: TLS (optional), the MQTT codec, keep-alive, then the link's own
 * handlers, each one protocol concern: the connector (CONNECT/CONNACK, ping, reconnect), the
 * subscriptions (SUBSCRIBE/UNSUBSCRIBE, incoming publishes) and the flights (outgoing publishes).
 */
final class MqttChannelInitializer extends ChannelInitializer<Channel> {

    /** MQTT's own limit on a packet. */
    private static final int MAX_PACKET = 268_435_455;

    private final MqttEndpointConfig endpoint;
    private final Optional<SslContext> ssl;
    private final MqttConnector connector;
    private final ChannelHandler subscriptions;
    private final ChannelHandler flights;

    MqttChannelInitializer(MqttEndpointConfig endpoint, Optional<SslContext> ssl, MqttConnector connector,
            ChannelHandler subscriptions, ChannelHandler flights) {
        this.endpoint = endpoint;
        this.ssl = ssl;
        this.connector = connector;
        this.subscriptions = subscriptions;
        this.flights = flights;
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
        pipeline.addLast("connector", connector);
        pipeline.addLast("subscriptions", subscriptions);
        pipeline.addLast("flights", flights);
        pipeline.addLast("failures", connector.failures());
    }
}
