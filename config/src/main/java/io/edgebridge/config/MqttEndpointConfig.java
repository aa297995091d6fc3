package io.edgebridge.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How to reach one MQTT broker: used for an external local broker and by the {@code mqtt} sink.
 *
 * @param host           host name or address from the URI
 * @param port           port from the URI (default 1883, or 8883 for {@code mqtts})
 * @param tls            whether the URI scheme is {@code mqtts}
 * @param clientId       MQTT client identifier
 * @param username       optional user name
 * @param password       optional password
 * @param tlsFiles       CA, client certificate and key files (PEM) for {@code mqtts}
 * @param version        MQTT protocol version
 * @param sessionExpiry  how long the broker keeps the session while disconnected; zero means
 *                       a clean session on every connect
 * @param keepAlive      keep-alive interval
 * @param connectTimeout how long one connect attempt may take
 * @param reconnect      delays between reconnect attempts
 */
public record MqttEndpointConfig(
        String host,
        int port,
        boolean tls,
        String clientId,
        Optional<String> username,
        Optional<Secret> password,
        Optional<TlsConfig> tlsFiles,
        MqttVersion version,
        Duration sessionExpiry,
        Duration keepAlive,
        Duration connectTimeout,
        Backoff reconnect) {

    public enum MqttVersion { V3_1_1, V5 }

    /** {@code mqtt://host:port} or {@code mqtts://host:port}, without credentials. */
    public String displayUri() {
        return (tls ? "mqtts://" : "mqtt://") + host + ":" + port;
    }
}
