package io.edgebridge.core.internal.mqtt;

import java.util.Map;
import java.util.Optional;

/**
 * A message received on an {@link MqttLink}. It stays unacknowledged (so the broker redelivers it
 * after a reconnect) until {@link #ack()} is called. Correlation data is an MQTT 5 property.
 */
public record IncomingMessage(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties,
        Optional<String> contentType, Optional<byte[]> correlationData, Runnable acknowledger) {

    public IncomingMessage(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties,
            Optional<String> contentType, Runnable acknowledger) {
        this(topic, payload, qos, retain, userProperties, contentType, Optional.empty(), acknowledger);
    }

    public void ack() {
        acknowledger.run();
    }
}
