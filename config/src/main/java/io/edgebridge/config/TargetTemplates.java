package io.edgebridge.config;

import io.edgebridge.config.template.Template;
import java.util.Map;

/**
 * Implemented by a sink type's target options (what {@link SinkType#parseTargetOptions} returns)
 * that carry templates of their own, e.g. a Pub/Sub ordering key: the engine renders them for
 * every message, as it renders the target's topic and properties, and hands the results to the
 * sink by name.
 */
public interface TargetTemplates {

    /** The templates, by name; the sink type checked them against the target's scope when it read them. */
    Map<String, Template> templates();
}
