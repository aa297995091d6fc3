package io.edgebridge.core.internal.sink.mqtt;

import io.edgebridge.config.MqttEndpointConfig;

/** Options of a {@code type: mqtt} sink: the broker endpoint. */
record MqttSinkOptions(MqttEndpointConfig endpoint) {
}
