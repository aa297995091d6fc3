package io.edgebridge.config;

import java.util.Optional;

/**
 * The local broker devices publish to, and how the bridge connects to it.
 *
 * @param broker   an embedded HiveMQ CE broker, or an external broker reached by URI
 * @param endpoint how the bridge's own MQTT session reaches the local broker (for an embedded
 *                 broker: loopback to its listener); used for local publishes (downstream,
 *                 dead letters) and, unless intake is in-process, for intake
 */
public record LocalConfig(LocalBrokerConfig broker, MqttEndpointConfig endpoint) {

    /** {@code local.sharedGroup}: set only with an external broker. */
    public Optional<String> sharedGroup() {
        return broker instanceof ExternalBrokerConfig external ? external.sharedGroup() : Optional.empty();
    }
}
