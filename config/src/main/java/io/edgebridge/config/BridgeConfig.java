package io.edgebridge.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated EdgeBridge configuration. Immutable; produced only by {@link ConfigLoader}.
 *
 * @param dataDir     base directory for state (spool, embedded broker data) unless overridden
 * @param local       the local broker and the bridge's session on it
 * @param spool       the durable upstream buffer
 * @param deadLetter  where messages a sink will never accept go
 * @param stats       periodic stats logging
 * @param reload      whether the running bridge watches its files for changes
 * @param admin       the HTTP server for metrics, health and status
 * @param sinks       sinks by name, in declaration order
 * @param routes      routes in declaration order (upstream and downstream)
 * @param warnings    things that are allowed but probably not what the operator wants
 * @param files       the YAML files this configuration was read from
 * @param fingerprint a short hash of the configuration text, shown as the config version
 */
public record BridgeConfig(
        Path dataDir,
        LocalConfig local,
        SpoolConfig spool,
        DeadLetterConfig deadLetter,
        StatsConfig stats,
        ReloadConfig reload,
        AdminConfig admin,
        Map<String, SinkConfig> sinks,
        List<RouteConfig> routes,
        List<ConfigProblem> warnings,
        List<Path> files,
        String fingerprint) {

    public BridgeConfig {
        sinks = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sinks));
        routes = List.copyOf(routes);
        warnings = List.copyOf(warnings);
        files = List.copyOf(files);
    }

    public Optional<SinkConfig> sink(String name) {
        return Optional.ofNullable(sinks.get(name));
    }

    public List<UpstreamRoute> upstreamRoutes() {
        return routes.stream().filter(UpstreamRoute.class::isInstance).map(UpstreamRoute.class::cast).toList();
    }

    public List<DownstreamRoute> downstreamRoutes() {
        return routes.stream().filter(DownstreamRoute.class::isInstance).map(DownstreamRoute.class::cast).toList();
    }
}
