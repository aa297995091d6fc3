package io.edgebridge.config;

import java.util.Optional;

/**
 * An existing local broker ({@code local.broker: mqtt://...} or {@code mqtts://...}). The bridge
 * keeps a persistent session there and acknowledges each message only after it is spooled.
 *
 * @param endpoint    how the bridge reaches the broker
 * @param sharedGroup {@code local.sharedGroup}: when present, every intake subscription is the
 *                    shared subscription {@code $share/<group>/<filter>}, so replicas running the
 *                    same configuration split the messages between them
 */
public record ExternalBrokerConfig(MqttEndpointConfig endpoint, Optional<String> sharedGroup)
        implements LocalBrokerConfig {

    /** A broker whose messages this bridge takes alone (no shared group). */
    public ExternalBrokerConfig(MqttEndpointConfig endpoint) {
        this(endpoint, Optional.empty());
    }
}
