package io.edgebridge.config.internal;

import static io.edgebridge.config.internal.RouteReader.DIRECTION;
import static io.edgebridge.config.internal.RouteReader.FROM;
import static io.edgebridge.config.internal.RouteReader.NAME;
import static io.edgebridge.config.internal.RouteReader.TO;
import static io.edgebridge.config.internal.TargetReader.SINK;
import static io.edgebridge.config.internal.TargetReader.TOPIC;

import io.edgebridge.config.SinkType;
import io.edgebridge.config.Target;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.UpstreamRoute;
import io.edgebridge.config.template.TopicFilter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * An upstream route: a local topic filter and its targets, either under {@code to} or written on
 * the route itself ({@code sink}, {@code topic}, ...) for a single target.
 */
final class UpstreamReader {

    static final Set<String> ROUTE_KEYS = Set.of(NAME, DIRECTION, FROM, TO);
    private static final String TARGET_EXAMPLE = "{sink: cloud, topic: edge/<deviceId>/data}";

    private final SinkCatalog catalog;
    private final TargetReader targets;

    UpstreamReader(SinkCatalog catalog) {
        this.catalog = catalog;
        this.targets = new TargetReader(catalog);
    }

    Optional<UpstreamRoute> read(NodeMap route, String name, String label) {
        Optional<TopicFilter> from = Optional.empty();
        if (route.has(FROM)) {
            from = RouteReader.filter(route, FROM);
        } else {
            route.problem(FROM, "an upstream route needs 'from': the local topic filter to bridge, like"
                    + " sensors/<deviceId>/#");
        }
        NodeMap r = from.isPresent() ? route : route.withBindingsUnknown();
        TemplateScope scope = new TemplateScope(label, from.map(TopicFilter::bindingNames).orElse(List.of()), false);
        Set<String> allowed = new HashSet<>(ROUTE_KEYS);
        allowed.addAll(TargetReader.COMMON_KEYS);
        boolean shorthand = r.has(SINK) || r.has(TOPIC);
        List<Target> read = new ArrayList<>();
        boolean complete;
        if (r.has(TO)) {
            if (shorthand) {
                r.problem(TO, "use either 'to' or 'sink'/'topic' on the route, not both");
            }
            for (String key : r.keys()) {
                if (TargetReader.COMMON_KEYS.contains(key) && !key.equals(SINK) && !key.equals(TOPIC)) {
                    r.problemAt(r.keyLocation(key), "'" + key + "' belongs in each target under 'to' when the route"
                            + " has 'to'");
                }
            }
            complete = readTo(r, scope, read) && !shorthand;
        } else if (shorthand) {
            allowed.addAll(targets.typeKeys(shorthandSinkType(r)));
            Optional<Target> target = targets.read(r, scope, true);
            target.ifPresent(read::add);
            complete = target.isPresent();
        } else {
            r.problem(TO, "an upstream route needs 'to', or 'sink' and 'topic'");
            complete = false;
        }
        r.checkKeys(allowed);
        if (from.isEmpty() || !complete || name.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new UpstreamRoute(name, from.get(), read, route.location()));
    }

    /** The type of the sink a shorthand route names, without reporting anything (the target reader does). */
    private Optional<SinkType> shorthandSinkType(NodeMap r) {
        return r.node(SINK).filter(ScalarNode.class::isInstance)
                .flatMap(n -> r.string(SINK))
                .flatMap(catalog::sink)
                .flatMap(SinkCatalog.DefinedSink::type);
    }

    /** Reads {@code to}; false when some target could not be read. */
    private boolean readTo(NodeMap r, TemplateScope scope, List<Target> read) {
        Node to = r.node(TO).orElseThrow();
        String path = r.childPath(TO);
        if (to instanceof MappingNode mapping) {
            Optional<Target> target = targets.read(r.child(mapping, path), scope, false);
            target.ifPresent(read::add);
            return target.isPresent();
        }
        if (!(to instanceof SequenceNode sequence)) {
            r.problem(TO, "expected a list of targets, or one target mapping like " + TARGET_EXAMPLE);
            return false;
        }
        if (sequence.getValue().isEmpty()) {
            r.problem(TO, "'to' needs at least one target, like " + TARGET_EXAMPLE);
            return false;
        }
        boolean complete = true;
        List<Node> items = sequence.getValue();
        for (int i = 0; i < items.size(); i++) {
            String itemPath = NodeMap.itemPath(path, i);
            if (items.get(i) instanceof MappingNode mapping) {
                Optional<Target> target = targets.read(r.child(mapping, itemPath), scope, false);
                target.ifPresent(read::add);
                complete &= target.isPresent();
            } else {
                r.problemAt(r.locate(items.get(i), itemPath), "expected a target mapping like " + TARGET_EXAMPLE);
                complete = false;
            }
        }
        return complete;
    }
}
