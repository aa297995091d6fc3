package io.edgebridge.core.internal.route;

import io.edgebridge.config.Direction;
import io.edgebridge.config.UpstreamRoute;
import io.edgebridge.config.template.TopicFilter;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import java.util.List;

/** An upstream route with its filter, compiled targets and intake meters. */
public final class CompiledRoute {

    private final String name;
    private final TopicFilter filter;
    private final List<CompiledTarget> targets;
    private final Counter received;
    private final Counter refused;
    private final Counter overload;
    private final Counter localBroker;

    CompiledRoute(UpstreamRoute route, BridgeMetrics metrics) {
        this.name = route.name();
        this.filter = route.from();
        List<String> bindings = filter.bindingNames();
        this.targets = route.targets().stream()
                .map(t -> new CompiledTarget(name, t, bindings,
                        TargetMeters.of(metrics, Direction.UPSTREAM, name, t.sink())))
                .toList();
        this.received = metrics.received(Direction.UPSTREAM, name);
        this.refused = metrics.dropped(Direction.UPSTREAM, name, BridgeMetrics.ANY_SINK, "refused");
        this.overload = metrics.dropped(Direction.UPSTREAM, name, BridgeMetrics.ANY_SINK, "overload");
        this.localBroker = metrics.dropped(Direction.UPSTREAM, name, BridgeMetrics.ANY_SINK, "local-broker");
    }

    public String name() {
        return name;
    }

    public TopicFilter filter() {
        return filter;
    }

    public List<CompiledTarget> targets() {
        return targets;
    }

    public Counter received() {
        return received;
    }

    public Counter refused() {
        return refused;
    }

    /** QoS 0 messages not taken because the spool's write queue was full. */
    public Counter overload() {
        return overload;
    }

    /** Messages the embedded broker acknowledged to a device and then discarded before the bridge took them. */
    public Counter localBroker() {
        return localBroker;
    }

    /** Matches a topic; on success returns the bindings (a new array), else null. */
    public String[] match(String topic, String[] levels) {
        String[] values = new String[filter.bindingCount()];
        return filter.matches(topic, levels, values) ? values : null;
    }
}
