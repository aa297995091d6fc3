package io.edgebridge.config;

import io.edgebridge.config.template.Template;
import java.util.Map;
import java.util.Optional;

/**
 * One destination of an upstream route.
 *
 * @param sink        the sink name
 * @param topic       the cloud topic template
 * @param qos         QoS for the cloud publish (0..2, default 1)
 * @param retain      whether to set the retain flag (default false)
 * @param payload     how the payload is rendered
 * @param properties  per-message metadata: MQTT 5 user properties, application properties or
 *                    attributes, depending on the sink
 * @param contentType optional content type
 * @param sinkOptions what the sink type's {@link SinkType#parseTargetOptions} returned, if the
 *                    target used any of the type's own keys
 * @param location    where the target is defined
 */
public record Target(
        String sink,
        Template topic,
        int qos,
        boolean retain,
        Payload payload,
        Map<String, Template> properties,
        Optional<Template> contentType,
        Optional<Object> sinkOptions,
        Location location) {

    public Target {
        properties = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(properties));
    }
}
