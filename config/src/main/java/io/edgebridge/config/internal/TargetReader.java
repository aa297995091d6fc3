package io.edgebridge.config.internal;

import io.edgebridge.config.Payload;
import io.edgebridge.config.SinkType;
import io.edgebridge.config.Target;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** One target of an upstream route: which sink, which topic, and how to render the message. */
final class TargetReader {

    static final String SINK = "sink";
    static final String TOPIC = "topic";
    static final String PAYLOAD = "payload";
    static final String TEMPLATE = "template";
    static final String PROPERTIES = "properties";
    static final Set<String> COMMON_KEYS = Set.of(SINK, TOPIC, "qos", "retain", PAYLOAD, TEMPLATE, PROPERTIES,
            "contentType");

    private final SinkCatalog catalog;

    TargetReader(SinkCatalog catalog) {
        this.catalog = catalog;
    }

    /**
     * Reads the target in {@code t}. With {@code shorthand} the target keys are written on the
     * route itself, whose reader checks the keys.
     */
    Optional<Target> read(NodeMap t, TemplateScope scope, boolean shorthand) {
        String sink = t.requiredString(SINK);
        Optional<SinkType> type = sink.isEmpty() ? Optional.empty()
                : catalog.resolve(t, SINK, t.scalar(SINK).orElseThrow()).flatMap(SinkCatalog.DefinedSink::type);
        Set<String> typeKeys = typeKeys(type);
        if (!shorthand) {
            Set<String> allowed = new HashSet<>(COMMON_KEYS);
            allowed.addAll(typeKeys);
            t.checkKeys(allowed);
        }
        Optional<Template> topic = t.requiredTemplate(TOPIC, scope);
        topic.ifPresent(template -> {
            TemplateChecks.literalProblem(template).ifPresent(p -> t.problem(TOPIC, p));
            if (TemplateChecks.startsWithDollar(template) && type.isPresent() && !type.get().allowsDollarTopics()) {
                t.problem(TOPIC, "a target topic must not start with '$': " + (type.get() instanceof FailoverGroupType
                        ? "not every member of failover group '" + sink + "' publishes to $ topics"
                        : "sink '" + sink + "' (type " + type.get().type() + ") does not publish to $ topics"));
            }
            type.flatMap(tp -> tp.targetTopicProblem(template)).ifPresent(p -> t.problem(TOPIC, p));
        });
        int qos = t.integer("qos", 1, 0, 2);
        boolean retain = t.bool("retain", false);
        Payload payload = payload(t, scope);
        Map<String, Template> properties = t.has(PROPERTIES) || type.isEmpty() ? t.templates(PROPERTIES, scope)
                : type.get().defaultTargetProperties(scope);
        Optional<Template> contentType = t.template("contentType", scope);
        Optional<Object> sinkOptions = Optional.empty();
        if (type.isPresent() && t.keys().stream().anyMatch(typeKeys::contains)) {
            Set<String> others = new HashSet<>(COMMON_KEYS);
            if (shorthand) {
                others.addAll(UpstreamReader.ROUTE_KEYS);
            }
            sinkOptions = type.get().parseTargetOptions(t.alsoAllowing(others), scope);
        }
        if (sink.isEmpty() || topic.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Target(sink, topic.get(), qos, retain, payload, properties, contentType, sinkOptions,
                t.location()));
    }

    /** The type's own target keys; for a sink whose type is unknown, those of every type. */
    Set<String> typeKeys(Optional<SinkType> type) {
        return type.map(SinkType::targetKeys).orElseGet(catalog::allTargetKeys);
    }

    /** {@code payload} and {@code template}, for upstream and downstream targets alike. */
    static Payload payload(NodeMap t, TemplateScope scope) {
        Payload.Mode mode = t.choice(PAYLOAD, Payload.Mode.class, Payload.Mode.RAW);
        if (mode != Payload.Mode.TEMPLATE) {
            if (t.has(TEMPLATE)) {
                t.problem(TEMPLATE, "'template' is only used with payload: template");
            }
            return new Payload(mode, Optional.empty());
        }
        if (!t.has(TEMPLATE)) {
            t.problem(TEMPLATE, "payload: template needs a 'template', like {\"state\":{\"reported\":<payload>}}");
            return new Payload(mode, Optional.empty());
        }
        return new Payload(mode, t.requiredTemplate(TEMPLATE, scope.forPayload()));
    }
}
