package io.edgebridge.config;

import io.edgebridge.config.template.Template;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the config loader needs to know about a sink type to validate it: its name and how to read
 * its options. Implemented by each sink's factory and handed to {@link ConfigLoader}, so one
 * {@code validate} run reports the problems of every sink together with everything else.
 */
public interface SinkType {

    /** The value of {@code type:} that selects this sink, e.g. {@code mqtt}. */
    String type();

    /**
     * Reads the type's own keys from the mapping of the sink {@code sinkName} (the common keys
     * {@code type}, {@code maxInFlight}, {@code required} and {@code probe} are read by the loader and
     * always allowed by {@code checkKeys}) and returns an immutable options object. Every problem is reported
     * through {@code options} (which also rejects unknown keys via {@link ConfigMap#checkKeys});
     * when there are problems the return value is discarded.
     */
    Object parseOptions(String sinkName, ConfigMap options);

    /** Keys this type accepts on a route target besides the common ones. */
    default Set<String> targetKeys() {
        return Set.of();
    }

    /**
     * Reads this type's own keys of one route target (only called when the target uses one of
     * {@link #targetKeys()}); templates must be checked against {@code scope}.
     */
    default Optional<Object> parseTargetOptions(ConfigMap target, TemplateScope scope) {
        return Optional.empty();
    }

    /**
     * The {@code properties} a route target of this type gets when it writes none (e.g. a cloud's
     * customary application properties), as templates within {@code scope}; empty for none.
     */
    default Map<String, Template> defaultTargetProperties(TemplateScope scope) {
        return Map.of();
    }

    /** Whether target topics may start with '$' (cloud topic spaces such as {@code $aws/}). */
    default boolean allowsDollarTopics() {
        return false;
    }

    /**
     * Why a target topic template can never produce a topic this type's destination accepts (for
     * example a cloud's length, level or reserved-prefix limits), if the template already shows it.
     * Called for every upstream target of a sink of this type; topics that only turn out invalid
     * once rendered are the sink's to refuse at run time.
     */
    default Optional<String> targetTopicProblem(Template topic) {
        return Optional.empty();
    }

    /**
     * The {@code rateLimit} a sink of this type gets when its configuration does not write one
     * (e.g. a cloud's per-connection publish quota); empty for no limit.
     */
    default Optional<RateLimit> defaultRateLimit() {
        return Optional.empty();
    }

    /** Whether routes may use this sink as a downstream source. */
    default boolean supportsDownstream() {
        return false;
    }
}
