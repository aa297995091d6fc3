package io.edgebridge.core.api;

import java.util.Map;
import java.util.Optional;

/**
 * One rendered upstream message for one target of one route.
 *
 * @param route       the route that matched
 * @param topic       the rendered target topic
 * @param payload     the rendered payload (do not modify)
 * @param qos         requested QoS 0..2
 * @param retain      whether the retain flag is requested
 * @param properties  rendered per-target metadata (user properties, application properties or
 *                    attributes, depending on the sink), in configuration order
 * @param contentType rendered content type, if configured
 * @param sinkOptions the target's sink-specific options, as the sink type parsed them
 * @param sourceTopic the local topic the message arrived on
 * @param receivedAt  when the bridge accepted the message (epoch milliseconds)
 * @param sequence    the message's spool sequence number (the same for every target)
 * @param rendered    the target's own templates ({@link io.edgebridge.config.TargetTemplates}),
 *                    rendered for this message, by name; empty for most sinks
 */
public record OutboundMessage(
        String route,
        String topic,
        byte[] payload,
        int qos,
        boolean retain,
        Map<String, String> properties,
        Optional<String> contentType,
        Optional<Object> sinkOptions,
        String sourceTopic,
        long receivedAt,
        long sequence,
        Map<String, String> rendered) {

    public OutboundMessage {
        rendered = Map.copyOf(rendered);
    }

    /** A message without target templates of its own. */
    public OutboundMessage(String route, String topic, byte[] payload, int qos, boolean retain,
            Map<String, String> properties, Optional<String> contentType, Optional<Object> sinkOptions,
            String sourceTopic, long receivedAt, long sequence) {
        this(route, topic, payload, qos, retain, properties, contentType, sinkOptions, sourceTopic, receivedAt,
                sequence, Map.of());
    }
}
