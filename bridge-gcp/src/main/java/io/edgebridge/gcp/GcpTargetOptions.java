package io.edgebridge.gcp;

import io.edgebridge.config.TargetTemplates;
import io.edgebridge.config.template.Template;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code gcp-pubsub} keys of a route target.
 *
 * @param orderingKey the message's ordering key, rendered by the engine per message
 *                    ({@link #ORDERING_KEY} in {@code OutboundMessage.rendered()})
 */
record GcpTargetOptions(Optional<Template> orderingKey) implements TargetTemplates {

    static final String ORDERING_KEY = "orderingKey";

    @Override
    public Map<String, Template> templates() {
        return orderingKey.map(t -> Map.of(ORDERING_KEY, t)).orElse(Map.of());
    }
}
