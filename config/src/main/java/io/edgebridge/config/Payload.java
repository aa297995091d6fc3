package io.edgebridge.config;

import io.edgebridge.config.template.Template;
import java.util.Optional;

/**
 * How a target renders the payload.
 *
 * @param mode     {@code raw} (bytes untouched), {@code envelope} (JSON object with deviceId,
 *                 source topic, timestamp and data) or {@code template}
 * @param template the template when {@code mode} is {@code template}; {@code <payload>} inserts
 *                 the original bytes, other placeholders insert JSON-escaped text
 */
public record Payload(Mode mode, Optional<Template> template) {

    public static final Payload RAW = new Payload(Mode.RAW, Optional.empty());

    public enum Mode { RAW, ENVELOPE, TEMPLATE }
}
