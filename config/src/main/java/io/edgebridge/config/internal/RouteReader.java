package io.edgebridge.config.internal;

import io.edgebridge.config.Direction;
import io.edgebridge.config.Location;
import io.edgebridge.config.RouteConfig;
import io.edgebridge.config.template.TemplateSyntaxException;
import io.edgebridge.config.template.TopicFilter;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** One entry of {@code routes}: its name and direction, then the direction's own reader. */
final class RouteReader {

    static final String NAME = "name";
    static final String DIRECTION = "direction";
    static final String FROM = "from";
    static final String TO = "to";
    /** Keys of a route itself (a mapping of routes by name is unlikely to use them as names). */
    static final java.util.Set<String> KEYS = java.util.Set.of(NAME, DIRECTION, FROM, TO, "sink", "topic");

    private final SinkCatalog catalog;
    private final Map<String, Location> names = new HashMap<>();

    RouteReader(SinkCatalog catalog) {
        this.catalog = catalog;
    }

    /**
     * Reads one route; {@code key} is its name when routes are written as a mapping from name to
     * route (then a {@code name} inside is a problem).
     */
    Optional<RouteConfig> read(NodeMap route, Optional<Scalar> key) {
        if (key.isPresent() && route.has(NAME)) {
            route.problem(NAME, "a route in a mapping is named by its key ('" + key.get().text() + "'); remove 'name'");
        }
        String name = key.map(Scalar::text).orElseGet(() -> route.requiredString(NAME));
        if (!name.isEmpty()) {
            Scalar s = key.orElseGet(() -> route.scalar(NAME).orElseThrow());
            SinkCatalog.nameProblem("route", s).ifPresent(p -> route.problemAt(s.location(), p));
            Location first = names.putIfAbsent(name, s.location());
            if (first != null) {
                route.problem(NAME, "duplicate route name " + s.shown() + " (first at "
                        + Problems.firstAt(first, s.location()) + ")");
            }
        }
        Direction direction = route.choice(DIRECTION, Direction.class, Direction.UPSTREAM);
        // Messages about templates name the route; an unnamed one by its place.
        String label = name.isEmpty() ? route.keyPath() : name;
        if (direction == Direction.UPSTREAM) {
            return new UpstreamReader(catalog).read(route, name, label).map(r -> r);
        }
        return new DownstreamReader(catalog).read(route, name, label).map(r -> r);
    }

    /** The source filter under {@code key}; a syntax error becomes a problem. */
    static Optional<TopicFilter> filter(NodeMap m, String key) {
        return m.scalar(key).flatMap(s -> {
            try {
                return Optional.of(TopicFilter.parse(s.text()));
            } catch (TemplateSyntaxException e) {
                m.problemAt(s.location(), s.sensitive() ? s.shown() + " is not a valid topic filter" : e.getMessage());
                return Optional.empty();
            }
        });
    }
}
