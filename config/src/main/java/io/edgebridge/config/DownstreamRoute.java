package io.edgebridge.config;

import io.edgebridge.config.template.TopicFilter;

/**
 * Messages the sink {@code sink} receives on topics matching {@code from} are published to the
 * local broker as {@code target} says. Values bound by {@code from} come from the cloud and are
 * checked to be single, valid topic levels before use.
 */
public record DownstreamRoute(String name, String sink, TopicFilter from, LocalTarget target, Location location)
        implements RouteConfig {

    @Override
    public Direction direction() {
        return Direction.DOWNSTREAM;
    }
}
