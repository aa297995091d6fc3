package io.edgebridge.core.internal.mqtt;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientSslConfigBuilder;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.TlsConfig;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Optional;

/** Builds an {@link MqttLink} for an endpoint: the protocol version picks the implementation. */
public final class MqttLinks {

    private MqttLinks() {
    }

    /**
     * @param name           how logs name this link (e.g. {@code local}, {@code sink cloud})
     * @param receiveMaximum how many unacknowledged QoS 1 messages the broker may send us at once
     */
    public static MqttLink create(MqttEndpointConfig endpoint, String name, int receiveMaximum)
            throws GeneralSecurityException, IOException {
        Optional<MqttClientSslConfig> ssl = ssl(endpoint);
        return switch (endpoint.version()) {
            case V5 -> new Mqtt5Link(endpoint, name, ssl, receiveMaximum);
            case V3_1_1 -> new Mqtt3Link(endpoint, name, ssl);
        };
    }

    static Optional<MqttClientSslConfig> ssl(MqttEndpointConfig endpoint) throws GeneralSecurityException, IOException {
        if (!endpoint.tls()) {
            return Optional.empty();
        }
        MqttClientSslConfigBuilder builder = MqttClientSslConfig.builder();
        if (endpoint.tlsFiles().isPresent()) {
            TlsConfig tls = endpoint.tlsFiles().get();
            PemTls.trustManagers(tls).ifPresent(builder::trustManagerFactory);
            PemTls.keyManagers(tls).ifPresent(builder::keyManagerFactory);
            if (!tls.verifyHostname()) {
                builder.hostnameVerifier((host, session) -> true);
            }
        }
        return Optional.of(builder.build());
    }
}
