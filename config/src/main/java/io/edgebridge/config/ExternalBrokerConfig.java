package io.edgebridge.config;

/**
 * An existing local broker ({@code local.broker: mqtt://...} or {@code mqtts://...}). The bridge
 * keeps a persistent session there and acknowledges each message only after it is spooled.
 */
public record ExternalBrokerConfig(MqttEndpointConfig endpoint) implements LocalBrokerConfig {
}
