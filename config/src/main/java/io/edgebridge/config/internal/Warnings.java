package io.edgebridge.config.internal;

import io.edgebridge.config.DownstreamRoute;
import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.RouteConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.UpstreamRoute;
import io.edgebridge.config.template.TopicFilter;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Things a valid configuration allows that are probably not what the operator wants. */
final class Warnings {

    private Warnings() {
    }

    static void check(Collection<SinkConfig> sinks, List<RouteConfig> routes, Optional<String> sharedGroup,
            Problems problems) {
        Set<String> used = new HashSet<>();
        for (RouteConfig route : routes) {
            if (route instanceof UpstreamRoute up) {
                up.targets().forEach(t -> used.add(t.sink()));
            } else if (route instanceof DownstreamRoute down) {
                used.add(down.sink());
            }
        }
        for (SinkConfig sink : sinks) {
            if (sink.options() instanceof FailoverOptions group) {
                used.addAll(group.members()); // the group reports itself if no route uses it
            }
        }
        for (SinkConfig sink : sinks) {
            if (!used.contains(sink.name())) {
                problems.warning(sink.location(), "sink '" + sink.name() + "' is not used by any route");
            }
        }
        DownstreamOverlaps.check(routes, problems);
        for (RouteConfig route : routes) {
            if (route instanceof DownstreamRoute down && sharedGroup.isPresent()) {
                problems.warning(down.location(), "downstream route '" + down.name() + "' with local.sharedGroup: every"
                        + " replica subscribes to sink '" + down.sink() + "', so each cloud message reaches the local"
                        + " broker once per replica");
            }
            if (route instanceof DownstreamRoute down) {
                String published = TemplateChecks.coveringFilter(down.target().topic());
                for (RouteConfig other : routes) {
                    if (other instanceof UpstreamRoute up
                            && TopicFilter.subscriptionsOverlap(published, up.from().subscription())) {
                        problems.warning(down.target().location(), "messages published by downstream route '"
                                + down.name() + "' also match upstream route '" + up.name() + "'; EdgeBridge marks its"
                                + " own publishes and never forwards them upstream again");
                    }
                }
            }
        }
    }
}
