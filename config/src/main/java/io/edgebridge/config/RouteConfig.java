package io.edgebridge.config;

import io.edgebridge.config.template.TopicFilter;

/** One entry of {@code routes}. */
public sealed interface RouteConfig permits UpstreamRoute, DownstreamRoute {

    String name();

    Direction direction();

    /** The source filter: a local topic filter (upstream) or a sink's topic filter (downstream). */
    TopicFilter from();

    Location location();
}
