package io.edgebridge.config;

/** {@code local.broker}: {@code embedded}, or the URI of an existing broker. */
public sealed interface LocalBrokerConfig permits EmbeddedBrokerConfig, ExternalBrokerConfig {
}
