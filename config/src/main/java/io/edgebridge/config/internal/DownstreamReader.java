package io.edgebridge.config.internal;

import static io.edgebridge.config.internal.RouteReader.DIRECTION;
import static io.edgebridge.config.internal.RouteReader.FROM;
import static io.edgebridge.config.internal.RouteReader.NAME;
import static io.edgebridge.config.internal.RouteReader.TO;
import static io.edgebridge.config.internal.TargetReader.SINK;
import static io.edgebridge.config.internal.TargetReader.TOPIC;

import io.edgebridge.config.DownstreamRoute;
import io.edgebridge.config.Location;
import io.edgebridge.config.LocalTarget;
import io.edgebridge.config.Payload;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.template.TopicFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * A downstream route: a sink's topic filter, and the local topic (plus payload and properties)
 * its messages are published to. The local topic may only use single-level bindings, so a cloud
 * message can never choose topic levels of its own.
 */
final class DownstreamReader {

    private static final Set<String> ROUTE_KEYS = Set.of(NAME, DIRECTION, FROM, TO, SINK);
    private static final Set<String> FROM_KEYS = Set.of(SINK, TOPIC);
    private static final Set<String> TO_KEYS = Set.of(TOPIC, TargetReader.PAYLOAD, TargetReader.TEMPLATE, "retain",
            TargetReader.PROPERTIES);
    private static final String LOCAL_TOPIC_RULE = "a downstream local topic may only use single-level bindings,"
            + " <route> and <sink>";

    private final SinkCatalog catalog;

    DownstreamReader(SinkCatalog catalog) {
        this.catalog = catalog;
    }

    /** The sink and the filter of {@code from}, each present only when valid. */
    private record From(Optional<String> sink, Optional<TopicFilter> filter) {
    }

    Optional<DownstreamRoute> read(NodeMap route, String name, String label) {
        route.checkKeys(ROUTE_KEYS);
        From source = readFrom(route);
        source.sink().ifPresent(sink -> checkSink(route, sink));
        NodeMap r = source.filter().isPresent() ? route : route.withBindingsUnknown();
        List<String> bindings = source.filter().map(TopicFilter::bindingNames).orElse(List.of());
        TemplateScope scope = new TemplateScope(label, bindings, false);
        Optional<LocalTarget> target = readTo(r, scope);
        if (name.isEmpty() || source.sink().isEmpty() || source.filter().isEmpty() || target.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DownstreamRoute(name, source.sink().get(), source.filter().get(), target.get(),
                route.location()));
    }

    private From readFrom(NodeMap route) {
        Optional<Node> from = route.node(FROM);
        if (from.isEmpty()) {
            route.problem(FROM, "a downstream route needs 'from', like {sink: cloud, topic: commands/<deviceId>}");
            return new From(Optional.empty(), Optional.empty());
        }
        if (from.get() instanceof MappingNode mapping) {
            NodeMap f = route.child(mapping, route.childPath(FROM));
            f.checkKeys(FROM_KEYS);
            if (route.has(SINK)) {
                route.problem(SINK, "give the sink either in 'from' or on the route, not both");
            }
            return new From(nonEmpty(f.requiredString(SINK)), sinkFilter(f, TOPIC));
        }
        if (!(from.get() instanceof ScalarNode)) {
            route.problem(FROM, "expected {sink: ..., topic: ...} or a topic filter with 'sink' on the route");
            return new From(Optional.empty(), Optional.empty());
        }
        Optional<TopicFilter> filter = sinkFilter(route, FROM);
        if (!route.has(SINK)) {
            route.problem(SINK, "a downstream route whose 'from' is a topic filter needs 'sink' on the route"
                    + " (or write from: {sink: ..., topic: ...})");
            return new From(Optional.empty(), filter);
        }
        return new From(nonEmpty(route.requiredString(SINK)), filter);
    }

    private static Optional<TopicFilter> sinkFilter(NodeMap m, String key) {
        if (!m.has(key)) {
            m.problem(key, "'" + key + "' is required: the sink's topic filter, like commands/<deviceId>");
            return Optional.empty();
        }
        return RouteReader.filter(m, key);
    }

    private static Optional<String> nonEmpty(String s) {
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    /** The sink must exist and be able to receive; the problem goes where the sink is named. */
    private void checkSink(NodeMap route, String sink) {
        NodeMap named = route.has(SINK) ? route : route.mappingOrEmpty(FROM);
        named.scalar(SINK).flatMap(s -> catalog.resolve(named, SINK, s)).flatMap(SinkCatalog.DefinedSink::type)
                .filter(type -> !type.supportsDownstream())
                .ifPresent(type -> named.problem(SINK, type instanceof FailoverGroupType
                        ? "sink '" + sink + "' is a failover group and cannot be a downstream source; name one of its"
                                + " members as the source instead"
                        : "sink '" + sink + "' (type " + type.type() + ") cannot be a downstream source"));
    }

    private Optional<LocalTarget> readTo(NodeMap r, TemplateScope scope) {
        Optional<Node> to = r.node(TO);
        if (to.isEmpty()) {
            r.problem(TO, "a downstream route needs 'to': the local topic to publish to, like"
                    + " devices/<deviceId>/commands");
            return Optional.empty();
        }
        if (to.get() instanceof ScalarNode) {
            return localTopic(r, TO, scope).map(topic -> new LocalTarget(topic, Payload.RAW, false, Map.of(),
                    r.locationOf(TO)));
        }
        if (!(to.get() instanceof MappingNode mapping)) {
            r.problem(TO, "expected a local topic, or a mapping {topic, payload, template, retain, properties}");
            return Optional.empty();
        }
        NodeMap t = r.child(mapping, r.childPath(TO));
        t.checkKeys(TO_KEYS);
        Optional<Template> topic = localTopic(t, TOPIC, scope);
        Payload payload = TargetReader.payload(t, scope);
        boolean retain = t.bool("retain", false);
        Map<String, Template> properties = t.templates(TargetReader.PROPERTIES, scope);
        return topic.map(tp -> new LocalTarget(tp, payload, retain, properties, t.location()));
    }

    /** The local topic template: single-level bindings, route and sink only; a publishable topic. */
    private static Optional<Template> localTopic(NodeMap m, String key, TemplateScope scope) {
        if (m.requiredString(key).isEmpty()) {
            return Optional.empty();
        }
        Optional<Scalar> value = m.scalar(key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        Scalar s = value.get();
        Template topic = Template.parse(s.text());
        if (m.bindingsKnown()) {
            checkLocalPlaceholders(m, s, topic, scope);
        }
        TemplateChecks.literalProblem(topic).ifPresent(p -> m.problemAt(s.location(), p));
        if (TemplateChecks.startsWithDollar(topic)) {
            m.problemAt(s.location(), "a local topic must not start with '$': the local broker refuses publishes"
                    + " to $ topics");
        }
        return Optional.of(topic);
    }

    private static void checkLocalPlaceholders(NodeMap m, Scalar s, Template topic, TemplateScope scope) {
        List<String> allowed = new ArrayList<>(scope.bindings());
        allowed.remove(TopicFilter.REST);
        allowed.add("route");
        allowed.add("sink");
        Location at = s.location();
        String prefix = TemplateChecks.prefix(scope);
        for (String name : topic.placeholderNames()) {
            if (allowed.contains(name)) {
                continue;
            }
            if (s.sensitive()) {
                m.problemAt(at, prefix + s.shown() + " uses a placeholder that is not allowed; " + LOCAL_TOPIC_RULE);
                return;
            }
            switch (name) {
                case TopicFilter.REST, "topic" -> m.problemAt(at, prefix + LOCAL_TOPIC_RULE + ": <" + name
                        + "> would let the cloud choose topic levels");
                case "timestamp" -> m.problemAt(at, prefix + LOCAL_TOPIC_RULE + ": <timestamp> would make a new"
                        + " topic for every message");
                default -> m.problemAt(at, prefix + "<" + name + "> is not bound"
                        + TemplateChecks.didYouMean(name, allowed) + "; a downstream local topic may use: "
                        + String.join(", ", allowed));
            }
        }
    }
}
