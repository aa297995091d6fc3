package io.edgebridge.config.internal;

import io.edgebridge.config.AdminConfig;
import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigException;
import io.edgebridge.config.DeadLetterConfig;
import io.edgebridge.config.LocalConfig;
import io.edgebridge.config.Location;
import io.edgebridge.config.RouteConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.SpoolConfig;
import io.edgebridge.config.ReloadConfig;
import io.edgebridge.config.StatsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Merges the parsed documents of one load into a {@link BridgeConfig}: singleton sections from
 * at most one file, {@code sinks} merged by name, {@code routes} concatenated in file order.
 */
final class ConfigAssembler {

    static final String DATA_DIR = "dataDir";
    static final String LOCAL = "local";
    static final String SPOOL = "spool";
    static final String DEAD_LETTER = "deadLetter";
    static final String STATS = "stats";
    static final String RELOAD = "reload";
    static final String ADMIN = "admin";
    static final String SINKS = "sinks";
    static final String ROUTES = "routes";
    static final List<String> SINGLETONS = List.of(DATA_DIR, LOCAL, SPOOL, DEAD_LETTER, STATS, RELOAD, ADMIN);
    static final Set<String> TOP_LEVEL_KEYS = Set.of(DATA_DIR, LOCAL, SPOOL, DEAD_LETTER, STATS, RELOAD, ADMIN, SINKS,
            ROUTES);

    private final ReadContext context;
    private final SinkCatalog catalog;
    private final List<NodeMap> roots = new ArrayList<>();
    /** Routes that replace those of the files (a module twin's), when given. */
    private final Optional<NodeMap> routesOverride;
    private final Location start;
    private final ClientIdDefaults replicaDefaults;

    /** @param replicaDefaults default client ids when {@code local.sharedGroup} is set */
    ConfigAssembler(ReadContext context, SinkCatalog catalog, List<YamlDocument> documents,
            Optional<YamlDocument> routesDocument, Location start, ClientIdDefaults replicaDefaults) {
        this.context = context;
        this.catalog = catalog;
        this.start = start;
        this.replicaDefaults = replicaDefaults;
        for (YamlDocument document : documents) {
            if (document.failed()) {
                catalog.markIncomplete();
            }
            document.root().ifPresent(root -> roots.add(NodeMap.of(context, document.source(), root, "")));
        }
        this.routesOverride = routesDocument.map(document -> document.root()
                .map(root -> NodeMap.of(context, document.source(), root, ""))
                .orElseGet(() -> NodeMap.empty(context, document.source(), document.source().whole(""))));
        routesOverride.ifPresent(m -> m.checkKeys(Set.of(ROUTES)));
    }

    BridgeConfig assemble(List<Path> files, String fingerprint) throws ConfigException {
        Map<String, NodeMap> owners = claimSections();
        Path dataDir = Optional.ofNullable(owners.get(DATA_DIR)).map(SectionReader::dataDir)
                .orElse(SectionReader.DEFAULT_DATA_DIR);
        Optional<LocalConfig> local = LocalReader.read(section(owners, LOCAL), dataDir, replicaDefaults);
        SpoolConfig spool = SectionReader.spool(section(owners, SPOOL), dataDir);
        DeadLetterConfig deadLetter = SectionReader.deadLetter(section(owners, DEAD_LETTER));
        StatsConfig stats = SectionReader.stats(section(owners, STATS));
        ReloadConfig reload = SectionReader.reload(section(owners, RELOAD));
        AdminConfig admin = SectionReader.admin(section(owners, ADMIN));
        // Replicas share one configuration: their sinks' default client ids must differ too.
        boolean shared = local.flatMap(LocalConfig::sharedGroup).isPresent();
        Map<String, SinkConfig> sinks = readSinks(shared ? replicaDefaults : ClientIdDefaults.PLAIN);
        List<RouteConfig> routes = readRoutes();
        Problems problems = context.problems();
        if (problems.hasErrors() || local.isEmpty()) {
            throw new ConfigException(problems.errors());
        }
        Warnings.check(sinks.values(), routes, local.get().sharedGroup(), problems);
        return new BridgeConfig(dataDir, local.get(), spool, deadLetter, stats, reload, admin, sinks, routes,
                problems.warnings(),
                files, fingerprint);
    }

    /** Which file holds each singleton section; a second file naming one is a problem. */
    private Map<String, NodeMap> claimSections() {
        Map<String, NodeMap> owners = new HashMap<>();
        for (NodeMap root : roots) {
            root.checkKeys(TOP_LEVEL_KEYS);
            for (String key : SINGLETONS) {
                if (!root.keys().contains(key)) {
                    continue;
                }
                NodeMap owner = owners.putIfAbsent(key, root);
                if (owner != null) {
                    Location here = root.keyLocation(key);
                    root.problemAt(here, "'" + key + "' is already set at " + Problems.firstAt(owner.keyLocation(key),
                            here) + "; each section may appear in one file only");
                }
            }
        }
        return owners;
    }

    private NodeMap section(Map<String, NodeMap> owners, String key) {
        NodeMap owner = owners.get(key);
        if (owner != null) {
            return owner.mappingOrEmpty(key);
        }
        Source source = roots.isEmpty() ? Source.text("") : roots.get(0).source();
        return NodeMap.empty(context, source, start.withKeyPath(key));
    }

    private Map<String, SinkConfig> readSinks(ClientIdDefaults clientIdDefaults) {
        Map<String, SinkConfig> sinks = new LinkedHashMap<>();
        Map<String, Location> defined = new HashMap<>();
        for (NodeMap root : roots) {
            root.mapping(SINKS).ifPresent(section -> {
                for (String name : section.keys()) {
                    Location here = section.keyLocation(name);
                    Location first = defined.putIfAbsent(name, here);
                    if (first != null) {
                        section.problemAt(here, "sink '" + name + "' is already defined at "
                                + Problems.firstAt(first, here));
                        continue;
                    }
                    SinkReader.read(section, name, catalog, clientIdDefaults).ifPresent(sink -> sinks.put(name, sink));
                }
            });
        }
        FailoverReader.resolve(catalog);
        if (defined.isEmpty()) {
            required(SINKS, "at least one sink is required (sinks: a mapping of names to sink settings)");
        }
        return sinks;
    }

    /** The files' routes in file order, or only the override's when there is one. */
    private List<RouteConfig> readRoutes() {
        RouteReader reader = new RouteReader(catalog);
        List<RouteConfig> routes = new ArrayList<>();
        List<NodeMap> sources = routesOverride.map(List::of).orElse(roots);
        int written = 0;
        for (NodeMap root : sources) {
            written += readRoutes(root, reader, routes);
        }
        if (written == 0) {
            required(sources, ROUTES, "at least one route is required (routes: a list of {name, from, to},"
                    + " or a mapping from route name to {from, to})");
        }
        return routes;
    }

    /**
     * Reads {@code routes} of one document: a list of routes with their {@code name}, or a mapping
     * from route name to route (the form a twin's merge patches can edit one route of).
     */
    private static int readRoutes(NodeMap root, RouteReader reader, List<RouteConfig> routes) {
        Optional<Node> node = root.node(ROUTES);
        if (node.isPresent() && node.get() instanceof MappingNode byName) {
            if (byName.getValue().stream().anyMatch(t -> !(t.getValueNode() instanceof MappingNode))
                    && byName.getValue().stream().anyMatch(t -> t.getKeyNode() instanceof ScalarNode k
                            && RouteReader.KEYS.contains(k.getValue()))) {
                // One route written without its list dash, not routes by name.
                root.problem(ROUTES, "expected a list, not a mapping: write each route as a list item"
                        + " ('- name: ...'), or map route names to routes ('telemetry: {from: ..., to: ...}')");
                return 1;
            }
            int written = 0;
            for (NodeTuple tuple : byName.getValue()) {
                if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                    continue; // reported by ScalarValues
                }
                String path = NodeMap.childPath(ROUTES, key.getValue());
                written++;
                Scalar name = new Scalar(key.getValue(), root.locate(key, path), List.of(), false);
                if (tuple.getValueNode() instanceof MappingNode mapping) {
                    reader.read(root.child(mapping, path), Optional.of(name)).ifPresent(routes::add);
                } else {
                    root.problemAt(root.locate(tuple.getValueNode(), path),
                            "expected a route mapping with from and to (the key is the route's name)");
                }
            }
            return written;
        }
        List<Node> items = root.sequence(ROUTES).orElse(List.of());
        for (int i = 0; i < items.size(); i++) {
            String path = NodeMap.itemPath(ROUTES, i);
            if (items.get(i) instanceof MappingNode mapping) {
                reader.read(root.child(mapping, path), Optional.empty()).ifPresent(routes::add);
            } else {
                root.problemAt(root.locate(items.get(i), path), "expected a route mapping with name, from and to");
            }
        }
        return items.size();
    }

    /**
     * Reports a missing or empty section, unless it is written in a form already reported, or an
     * input that failed to parse may hold it.
     */
    private void required(String key, String message) {
        required(roots, key, message);
    }

    private void required(List<NodeMap> sources, String key, String message) {
        if (!catalog.complete()) {
            return;
        }
        for (NodeMap root : sources) {
            if (root.node(key).isPresent()) {
                Node node = root.node(key).get();
                boolean rightKind = node instanceof MappingNode || !key.equals(SINKS) && node instanceof SequenceNode;
                if (rightKind) {
                    root.problem(key, message);
                }
                return;
            }
        }
        Location where = sources.isEmpty() ? start : sources.get(0).location();
        context.problems().error(where.withKeyPath(key), message);
    }
}
