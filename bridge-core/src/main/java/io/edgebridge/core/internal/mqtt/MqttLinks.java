package io.edgebridge.core.internal.mqtt;

import io.edgebridge.core.support.PemTls;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.TlsConfig;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Optional;

/** Builds an {@link MqttLink} for an endpoint. */
public final class MqttLinks {

    private MqttLinks() {
    }

    /**
     * @param name           how logs name this link (e.g. {@code local}, {@code sink cloud})
     * @param receiveMaximum how many unacknowledged QoS 1 messages the broker may send us at once
     *                       (MQTT 5; an MQTT 3.1.1 broker decides by itself)
     */
    public static MqttLink create(MqttEndpointConfig endpoint, String name, int receiveMaximum)
            throws GeneralSecurityException, IOException {
        return new NettyMqttLink(endpoint, name, ssl(endpoint), receiveMaximum);
    }

    /** Pending tasks and workers of the event loops every link runs on ({@code group=mqtt-io}). */
    public static MeterBinder eventLoopMetrics() {
        return new NettyEventExecutorMetrics(MqttEventLoops.group(), Tags.of("group", "mqtt-io"));
    }

    static Optional<SslContext> ssl(MqttEndpointConfig endpoint) throws GeneralSecurityException, IOException {
        if (!endpoint.tls()) {
            return Optional.empty();
        }
        SslContextBuilder builder = SslContextBuilder.forClient();
        if (endpoint.tlsFiles().isPresent()) {
            TlsConfig tls = endpoint.tlsFiles().get();
            PemTls.trustManagers(tls).ifPresent(builder::trustManager);
            PemTls.keyManagers(tls).ifPresent(builder::keyManager);
        }
        return Optional.of(builder.build());
    }
}
