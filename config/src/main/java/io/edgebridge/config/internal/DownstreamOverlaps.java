package io.edgebridge.config.internal;

import io.edgebridge.config.DownstreamRoute;
import io.edgebridge.config.RouteConfig;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.template.TopicFilter;
import io.edgebridge.config.template.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Downstream routes of one sink whose filters can match the same cloud topic: every such message is
 * published locally once per matching route, so a device gets it twice (or more). With different
 * local topics that can be a deliberate fan-out; with the same local topic it never is, yet it is a
 * warning, not an error: configurations that ran before (the AWS example among them) keep loading,
 * and at-least-once delivery already obliges devices to tolerate a repeat.
 */
final class DownstreamOverlaps {

    /** A cloud topic level no real topic uses, one per wildcard level, so renderings compare structurally. */
    private static final String SAMPLE = "\u0001";

    private DownstreamOverlaps() {
    }

    static void check(List<RouteConfig> routes, Problems problems) {
        List<DownstreamRoute> down = routes.stream().filter(DownstreamRoute.class::isInstance)
                .map(DownstreamRoute.class::cast).toList();
        for (int i = 0; i < down.size(); i++) {
            for (int j = 0; j < i; j++) {
                DownstreamRoute earlier = down.get(j);
                DownstreamRoute later = down.get(i);
                if (earlier.sink().equals(later.sink())) {
                    problem(earlier, later).ifPresent(message -> problems.warning(later.location(), message));
                }
            }
        }
    }

    /** The warning for two routes of one sink, if some cloud topic matches both. */
    static Optional<String> problem(DownstreamRoute a, DownstreamRoute b) {
        Optional<Witness> witness = witness(a.from(), b.from());
        if (witness.isEmpty()) {
            return Optional.empty();
        }
        String topic = witness.get().sample();
        String renderedA = render(a, topic);
        String renderedB = render(b, topic);
        String both = "downstream routes '" + a.name() + "' and '" + b.name() + "' of sink '" + a.sink()
                + "' both match cloud topic '" + witness.get().shown() + "'";
        if (renderedA != null && renderedA.equals(renderedB)) {
            return Optional.of(both + " and publish it to the same local topic '" + a.target().topic().text()
                    + "': every such message reaches local subscribers twice; narrow one route's filter");
        }
        return Optional.of(both + ": every such message is published twice, to '" + a.target().topic().text()
                + "' and to '" + b.target().topic().text() + "' (narrow one route's filter unless both copies"
                + " are wanted)");
    }

    /** A topic matching both filters: the sample (wildcards filled with unique markers) and how to show it. */
    private record Witness(String sample, String shown) {
    }

    private static Optional<Witness> witness(TopicFilter a, TopicFilter b) {
        if (!a.overlaps(b)) {
            return Optional.empty();
        }
        String[] la = Topics.levels(a.text());
        String[] lb = Topics.levels(b.text());
        List<String> sample = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        int n = Math.max(la.length, lb.length);
        for (int i = 0; i < n; i++) {
            // Past its last level, a filter ending in '#' goes on matching anything (and overlaps() held).
            String x = i < la.length ? la[i] : "#";
            String y = i < lb.length ? lb[i] : "#";
            if (i >= la.length || i >= lb.length) {
                if (x.equals("#") && y.equals("#")) {
                    break; // 'a/#' also matches 'a': the shorter filter's topic is the witness
                }
            } else if (x.equals("#") && y.equals("#")) {
                sample.add(SAMPLE + i);
                shown.add("#");
                break;
            }
            String literal = isWildcard(x) ? (isWildcard(y) ? null : y) : x;
            if (literal != null) {
                sample.add(literal);
                shown.add(literal);
            } else {
                sample.add(SAMPLE + i);
                shown.add(isBinding(x) ? x : isBinding(y) ? y : "+");
            }
        }
        return Optional.of(new Witness(String.join("/", sample), String.join("/", shown)));
    }

    private static boolean isWildcard(String level) {
        return level.equals("+") || level.equals("#") || isBinding(level);
    }

    private static boolean isBinding(String level) {
        return level.length() > 2 && level.startsWith("<") && level.endsWith(">");
    }

    /** The local topic {@code route} publishes a message on {@code topic} to; null if the filter does not match. */
    private static String render(DownstreamRoute route, String topic) {
        TopicFilter from = route.from();
        String[] values = new String[from.bindingCount()];
        if (!from.matches(topic, Topics.levels(topic), values)) {
            return null;
        }
        Map<String, String> bindings = new HashMap<>();
        for (int i = 0; i < values.length; i++) {
            bindings.put(from.bindingNames().get(i), values[i]);
        }
        bindings.put("route", route.name());
        bindings.put("sink", route.sink());
        StringBuilder out = new StringBuilder();
        for (Template.Part part : route.target().topic().parts()) {
            if (part instanceof Template.Literal literal) {
                out.append(literal.text());
            } else if (part instanceof Template.Placeholder placeholder) {
                out.append(bindings.getOrDefault(placeholder.name(), "<" + placeholder.name() + ">"));
            }
        }
        return out.toString();
    }
}
