package io.edgebridge.core.api;

import java.util.Map;
import java.util.Optional;

/**
 * A message a sink received from its cloud, on its way to the local broker.
 *
 * @param topic       the cloud topic (matched against downstream routes' filters)
 * @param payload     the payload bytes (do not modify)
 * @param properties  cloud-side metadata (MQTT 5 user properties, application properties, ...)
 * @param contentType content type if the cloud message carried one
 * @param id          what names this cloud message on every redelivery, for as long as the cloud may
 *                    redeliver it, and no other message meanwhile: a Pub/Sub message id; for an MQTT
 *                    session, its session and the packet identifier while the message is
 *                    unacknowledged. Empty when the cloud gives none. The handler joins a redelivery
 *                    to a delivery of the same id still in progress instead of publishing it again,
 *                    and counts it as redelivered rather than received.
 * @param lastingId   whether {@code id} goes on naming this message after it was acknowledged, for as
 *                    long as the cloud may still redeliver it (a Pub/Sub message id), unlike an MQTT
 *                    packet identifier, which the next message may reuse. A redelivery of a message
 *                    with a lasting id that was already published locally is acknowledged to the cloud
 *                    again without a second local copy (the cloud's redelivery raced its ack).
 */
public record InboundMessage(String topic, byte[] payload, Map<String, String> properties,
        Optional<String> contentType, Optional<String> id, boolean lastingId) {

    /** A message whose identity (if any) is reused once it is acknowledged. */
    public InboundMessage(String topic, byte[] payload, Map<String, String> properties, Optional<String> contentType,
            Optional<String> id) {
        this(topic, payload, properties, contentType, id, false);
    }

    /** A message without an identity: every delivery of it is handled as a new message. */
    public InboundMessage(String topic, byte[] payload, Map<String, String> properties, Optional<String> contentType) {
        this(topic, payload, properties, contentType, Optional.empty());
    }
}
