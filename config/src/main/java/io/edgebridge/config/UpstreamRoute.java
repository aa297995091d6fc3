package io.edgebridge.config;

import io.edgebridge.config.template.TopicFilter;
import java.util.List;

/** Local topics matching {@code from} go to every target (fan-out). */
public record UpstreamRoute(String name, TopicFilter from, List<Target> targets, Location location)
        implements RouteConfig {

    public UpstreamRoute {
        targets = List.copyOf(targets);
    }

    @Override
    public Direction direction() {
        return Direction.UPSTREAM;
    }
}
