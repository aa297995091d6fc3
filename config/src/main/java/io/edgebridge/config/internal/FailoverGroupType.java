package io.edgebridge.config.internal;

import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.SinkType;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What routes may do with a failover group: whatever every member accepts. A target of the group
 * is sent to whichever member is active, so its type-specific keys must mean the same to every
 * member: they are parsed by the members' type when all members share one, and refused otherwise.
 */
final class FailoverGroupType implements SinkType {

    private final String group;
    /** The members' types by name, in member order. */
    private final Map<String, SinkType> types = new LinkedHashMap<>();

    FailoverGroupType(String group, List<SinkType> memberTypes) {
        this.group = group;
        memberTypes.forEach(t -> types.putIfAbsent(t.type(), t));
    }

    String group() {
        return group;
    }

    @Override
    public String type() {
        return FailoverOptions.TYPE;
    }

    @Override
    public Object parseOptions(String sinkName, ConfigMap options) {
        throw new UnsupportedOperationException("failover groups are read by the loader itself");
    }

    /** Every member type's keys: a key no member knows is "unknown"; the others are judged in {@link #parseTargetOptions}. */
    @Override
    public Set<String> targetKeys() {
        Set<String> keys = new TreeSet<>();
        types.values().forEach(t -> keys.addAll(t.targetKeys()));
        return keys;
    }

    @Override
    public Optional<Object> parseTargetOptions(ConfigMap target, TemplateScope scope) {
        if (types.size() == 1) {
            return types.values().iterator().next().parseTargetOptions(target, scope);
        }
        Set<String> own = targetKeys();
        for (String key : target.keys()) {
            if (own.contains(key)) {
                target.problem(key, "'" + key + "' is a target key of sink type " + typesWith(key)
                        + "; failover group '" + group + "' has members of types " + Suggestions.list(types.keySet())
                        + ", so its targets take only the keys every sink takes (sink, topic, qos, retain, payload,"
                        + " template, properties, contentType)");
            }
        }
        return Optional.empty();
    }

    private String typesWith(String key) {
        return String.join(", ", types.values().stream().filter(t -> t.targetKeys().contains(key))
                .map(SinkType::type).sorted().toList());
    }

    /** The first member type's objection: a topic must suit every member. */
    @Override
    public Optional<String> targetTopicProblem(Template topic) {
        return types.values().stream().map(t -> t.targetTopicProblem(topic)).flatMap(Optional::stream).findFirst();
    }

    @Override
    public boolean allowsDollarTopics() {
        return types.values().stream().allMatch(SinkType::allowsDollarTopics);
    }

    @Override
    public boolean supportsDownstream() {
        return false;
    }
}
