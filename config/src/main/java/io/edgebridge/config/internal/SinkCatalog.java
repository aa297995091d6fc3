package io.edgebridge.config.internal;

import io.edgebridge.config.Location;
import io.edgebridge.config.SinkType;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The sink types a loader knows, and the sinks a configuration defines, for checking the
 * references routes make to them.
 */
final class SinkCatalog {

    /** A sink defined in the config; {@code type} is empty when the type is missing or unknown. */
    record DefinedSink(String name, Optional<SinkType> type, Location location) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    static final int MAX_NAME_LENGTH = 64;

    private final Map<String, SinkType> types;
    private final Map<String, DefinedSink> sinks = new LinkedHashMap<>();
    private final Map<String, FailoverReader.Group> groups = new LinkedHashMap<>();
    private boolean complete = true;

    SinkCatalog(Map<String, SinkType> types) {
        this.types = types;
    }

    Map<String, SinkType> types() {
        return types;
    }

    void define(DefinedSink sink) {
        sinks.putIfAbsent(sink.name(), sink);
    }

    /** Replaces a sink's definition once more is known (a failover group's type, from its members). */
    void redefine(DefinedSink sink) {
        sinks.put(sink.name(), sink);
    }

    /** Records a failover group; its members are checked once every sink is defined. */
    void defineGroup(FailoverReader.Group group) {
        groups.putIfAbsent(group.name(), group);
    }

    Map<String, FailoverReader.Group> groups() {
        return groups;
    }

    Optional<DefinedSink> sink(String name) {
        return Optional.ofNullable(sinks.get(name));
    }

    Collection<DefinedSink> sinks() {
        return sinks.values();
    }

    /** Some input could not be parsed, so a sink it defines may be missing: do not report unknown sinks. */
    void markIncomplete() {
        complete = false;
    }

    boolean complete() {
        return complete;
    }

    /** Target keys of every known type: what a target of an unknown sink may use. */
    Set<String> allTargetKeys() {
        Set<String> keys = new HashSet<>();
        types.values().forEach(t -> keys.addAll(t.targetKeys()));
        return keys;
    }

    /**
     * The sink named by the scalar {@code key} of {@code m}; records "unknown sink" with a
     * suggestion when it is not defined.
     */
    Optional<DefinedSink> resolve(NodeMap m, String key, Scalar name) {
        DefinedSink sink = sinks.get(name.text());
        // With no sinks at all, "at least one sink is required" says it all.
        if (sink == null && complete && !sinks.isEmpty()) {
            String shown = name.sensitive() ? name.shown() : "'" + name.text() + "'";
            String suggestion = name.sensitive() ? "" : Suggestions.didYouMean(name.text(), sinks.keySet());
            String defined = sinks.isEmpty() ? "; no sinks are defined"
                    : suggestion.isEmpty() ? "; defined sinks: " + Suggestions.list(sinks.keySet()) : "";
            m.problem(key, "unknown sink " + shown + suggestion + defined);
        }
        return Optional.ofNullable(sink);
    }

    /** Why {@code name} cannot name a sink or route, if it cannot. */
    static Optional<String> nameProblem(String what, Scalar name) {
        String text = name.text();
        if (NAME.matcher(text).matches() && text.length() <= MAX_NAME_LENGTH) {
            return Optional.empty();
        }
        return Optional.of(what + " name " + (name.sensitive() ? name.shown() : "'" + text + "'")
                + " is not valid: use letters, digits, '_', '.' and '-', starting with a letter or digit, at most "
                + MAX_NAME_LENGTH + " characters");
    }
}
