package io.edgebridge.core.internal.route;

import io.edgebridge.config.template.Topics;
import java.util.ArrayList;
import java.util.List;

/** The upstream routes that have at least one target on one sink, with just those targets. */
public final class SinkRoutes {

    /** A matching route's targets on this sink, with the bindings for rendering. */
    public record Match(CompiledRoute route, List<CompiledTarget> targets, String[] bindings) {
    }

    private final String sink;
    private final CompiledRoute[] routes;
    private final List<List<CompiledTarget>> targets;

    SinkRoutes(String sink, List<CompiledRoute> upstream) {
        this.sink = sink;
        List<CompiledRoute> mine = new ArrayList<>();
        List<List<CompiledTarget>> mineTargets = new ArrayList<>();
        for (CompiledRoute route : upstream) {
            List<CompiledTarget> forSink = route.targets().stream().filter(t -> t.sink().equals(sink)).toList();
            if (!forSink.isEmpty()) {
                mine.add(route);
                mineTargets.add(forSink);
            }
        }
        this.routes = mine.toArray(new CompiledRoute[0]);
        this.targets = List.copyOf(mineTargets);
    }

    public String sink() {
        return sink;
    }

    public boolean isEmpty() {
        return routes.length == 0;
    }

    /** Every route of this sink that matches {@code topic}, in configuration order. */
    public List<Match> match(String topic) {
        List<Match> matches = null;
        String[] levels = null;
        for (int i = 0; i < routes.length; i++) {
            if (levels == null) {
                levels = Topics.levels(topic);
            }
            String[] bindings = routes[i].match(topic, levels);
            if (bindings != null) {
                if (matches == null) {
                    matches = new ArrayList<>(2);
                }
                matches.add(new Match(routes[i], targets.get(i), bindings));
            }
        }
        return matches == null ? List.of() : matches;
    }
}
