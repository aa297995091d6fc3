package io.edgebridge.core.internal.mqtt;

import java.util.Map;
import java.util.Optional;

/**
 * A message received on an {@link MqttLink}. It stays unacknowledged (so the broker redelivers it
 * after a reconnect) until {@link #ack()} is called. Correlation data is an MQTT 5 property.
 *
 * @param sessionKey for QoS 1 and 2: the broker session and the packet identifier. A broker that
 *                   resumes the session re-sends an unacknowledged message with the same packet
 *                   identifier, and may not give that identifier to another message before the
 *                   acknowledgement; so while this message is unacknowledged, a message with the same
 *                   key is this message again. (The packet identifier alone is no identity: it is
 *                   reused once acknowledged, and a new session starts numbering afresh.)
 */
public record IncomingMessage(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties,
        Optional<String> contentType, Optional<byte[]> correlationData, Optional<String> sessionKey,
        Runnable acknowledger) {

    public IncomingMessage(String topic, byte[] payload, int qos, boolean retain, Map<String, String> userProperties,
            Optional<String> contentType, Runnable acknowledger) {
        this(topic, payload, qos, retain, userProperties, contentType, Optional.empty(), Optional.empty(), acknowledger);
    }

    public void ack() {
        acknowledger.run();
    }
}
