package io.edgebridge.core.internal.mqtt;

import java.util.Map;
import java.util.Optional;

/**
 * A message to publish on an {@link MqttLink}. Content type, response topic and correlation data
 * are MQTT 5 properties (left out on a v3.1.1 link).
 */
public record OutgoingMessage(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties,
        Optional<String> contentType, Optional<String> responseTopic, Optional<byte[]> correlationData) {

    public OutgoingMessage(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties,
            Optional<String> contentType) {
        this(topic, payload, qos, retain, userProperties, contentType, Optional.empty(), Optional.empty());
    }
}
