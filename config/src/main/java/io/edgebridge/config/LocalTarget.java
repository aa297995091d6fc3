package io.edgebridge.config;

import io.edgebridge.config.template.Template;
import java.util.Map;

/**
 * Where a downstream route publishes on the local broker (always QoS 1, so the cloud is acked only
 * after the local PUBACK).
 */
public record LocalTarget(Template topic, Payload payload, boolean retain, Map<String, Template> properties,
        Location location) {

    public LocalTarget {
        properties = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(properties));
    }
}
