package io.edgebridge.core.internal.mqtt;

import java.util.Map;
import java.util.Optional;

/** A message to publish on an {@link MqttLink}. */
public record OutgoingMessage(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties,
        Optional<String> contentType) {
}
