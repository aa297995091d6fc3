package io.edgebridge.core.internal.route;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.DownstreamRoute;
import io.edgebridge.config.UpstreamRoute;
import io.edgebridge.config.template.TopicAlgebra;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** All routes of a configuration, compiled once, indexed by sink. Immutable. */
public final class RouteTable {

    private final List<CompiledRoute> upstream;
    private final Map<String, SinkRoutes> upstreamBySink = new LinkedHashMap<>();
    private final Map<String, List<CompiledDownstreamRoute>> downstreamBySink = new LinkedHashMap<>();

    private RouteTable(BridgeConfig config, BridgeMetrics metrics) {
        List<CompiledRoute> up = new ArrayList<>();
        for (UpstreamRoute route : config.upstreamRoutes()) {
            up.add(new CompiledRoute(route, metrics));
        }
        this.upstream = List.copyOf(up);
        for (String sink : config.sinks().keySet()) {
            upstreamBySink.put(sink, new SinkRoutes(sink, upstream));
        }
        for (DownstreamRoute route : config.downstreamRoutes()) {
            downstreamBySink.computeIfAbsent(route.sink(), s -> new ArrayList<>())
                    .add(new CompiledDownstreamRoute(route, metrics));
        }
    }

    public static RouteTable compile(BridgeConfig config, BridgeMetrics metrics) {
        return new RouteTable(config, metrics);
    }

    public List<CompiledRoute> upstream() {
        return upstream;
    }

    /**
     * Counts a local message as received by every upstream route it matches and returns those
     * routes (empty if none: the message is not bridged).
     */
    public List<CompiledRoute> acceptUpstream(String topic) {
        List<CompiledRoute> matched = matchUpstream(topic);
        for (CompiledRoute route : matched) {
            route.received().increment();
        }
        return matched;
    }

    /** The upstream routes whose filter matches {@code topic} (empty if none), counting nothing. */
    public List<CompiledRoute> matchUpstream(String topic) {
        String[] levels = Topics.levels(topic);
        List<CompiledRoute> matched = null;
        String[] scratch = null;
        for (CompiledRoute route : upstream) {
            int n = route.filter().bindingCount();
            if (scratch == null || scratch.length < n) {
                scratch = new String[Math.max(n, 4)];
            }
            if (route.filter().matches(topic, levels, scratch)) {
                if (matched == null) {
                    matched = new ArrayList<>(2);
                }
                matched.add(route);
            }
        }
        return matched == null ? List.of() : matched;
    }

    /** The upstream routes with targets on {@code sink} (empty if none). */
    public SinkRoutes upstreamFor(String sink) {
        return upstreamBySink.getOrDefault(sink, new SinkRoutes(sink, List.of()));
    }

    public List<CompiledDownstreamRoute> downstreamFor(String sink) {
        return downstreamBySink.getOrDefault(sink, List.of());
    }

    /** Sinks that are the source of at least one downstream route. */
    public Set<String> downstreamSinks() {
        return downstreamBySink.keySet();
    }

    /** Cloud-side subscription filters for one sink's downstream routes, without redundant ones. */
    public List<String> downstreamSubscriptions(String sink) {
        return minimalCover(downstreamFor(sink).stream().map(r -> r.filter().subscription()).toList());
    }

    /**
     * Local subscription filters for intake over MQTT: every upstream filter, minus those another
     * one already covers (overlapping subscriptions could make the broker deliver twice).
     */
    public List<String> intakeSubscriptions() {
        return minimalCover(upstream.stream().map(r -> r.filter().subscription()).toList());
    }

    /**
     * The filters no other one covers ({@link TopicAlgebra#covers}); of filters matching the same
     * topics (duplicates, {@code #} and {@code +/#}) the first one is kept.
     */
    static List<String> minimalCover(List<String> filters) {
        List<String> unique = new ArrayList<>(new LinkedHashSet<>(filters));
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < unique.size(); i++) {
            String candidate = unique.get(i);
            boolean covered = false;
            for (int j = 0; j < unique.size() && !covered; j++) {
                String other = unique.get(j);
                covered = j != i && TopicAlgebra.covers(other, candidate)
                        && (j < i || !TopicAlgebra.covers(candidate, other));
            }
            if (!covered) {
                kept.add(candidate);
            }
        }
        return kept;
    }
}
