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
 */
public record InboundMessage(String topic, byte[] payload, Map<String, String> properties,
        Optional<String> contentType) {
}
