package io.edgebridge.core.internal.route;

import io.edgebridge.config.Direction;
import io.edgebridge.config.DownstreamRoute;
import io.edgebridge.config.template.TopicFilter;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A downstream route: cloud topic filter on one sink to a local topic. */
public final class CompiledDownstreamRoute {

    /** A rendered local publish, or why the message was rejected. */
    public sealed interface Result permits Publish, Rejected {
    }

    public record Publish(String topic, byte[] payload, boolean retain, Map<String, String> properties)
            implements Result {
    }

    public record Rejected(String reason) implements Result {
    }

    private final String name;
    private final String sink;
    private final TopicFilter filter;
    private final CompiledTemplate topic;
    private final int[] topicSlots;
    private final PayloadRenderer payload;
    private final boolean retain;
    private final String[] propertyNames;
    private final CompiledTemplate[] propertyValues;
    private final Counter received;
    private final Counter redelivered;
    private final Counter invalid;
    private final TargetMeters meters;

    CompiledDownstreamRoute(DownstreamRoute route, BridgeMetrics metrics) {
        this.name = route.name();
        this.sink = route.sink();
        this.filter = route.from();
        List<String> bindings = filter.bindingNames();
        this.topic = CompiledTemplate.compile(route.target().topic(), bindings);
        this.topicSlots = topic.bindingSlots();
        this.payload = PayloadRenderer.of(route.target().payload(), bindings);
        this.retain = route.target().retain();
        this.propertyNames = route.target().properties().keySet().toArray(new String[0]);
        this.propertyValues = route.target().properties().values().stream()
                .map(t -> CompiledTemplate.compile(t, bindings))
                .toArray(CompiledTemplate[]::new);
        this.received = metrics.received(Direction.DOWNSTREAM, name);
        this.redelivered = metrics.redelivered(name, sink);
        this.invalid = metrics.dropped(Direction.DOWNSTREAM, name, sink, "invalid-topic");
        this.meters = TargetMeters.of(metrics, Direction.DOWNSTREAM, name, sink);
    }

    public String name() {
        return name;
    }

    public String sink() {
        return sink;
    }

    public TopicFilter filter() {
        return filter;
    }

    public Counter received() {
        return received;
    }

    /** Cloud messages received again (a redelivery of one already counted as received). */
    public Counter redelivered() {
        return redelivered;
    }

    public Counter invalid() {
        return invalid;
    }

    public TargetMeters meters() {
        return meters;
    }

    /**
     * Renders the local publish for a cloud message, or rejects it when a value it would put into
     * the local topic is not one valid topic level. Returns empty when the route does not match.
     */
    public Optional<Result> render(String cloudTopic, String[] levels, byte[] body, long receivedAt) {
        String[] bindings = new String[filter.bindingCount()];
        if (!filter.matches(cloudTopic, levels, bindings)) {
            return Optional.empty();
        }
        for (int slot : topicSlots) {
            Optional<String> problem = Topics.checkUntrustedLevel(bindings[slot]);
            if (problem.isPresent()) {
                return Optional.of(new Rejected("<" + filter.bindingNames().get(slot) + "> " + problem.get()));
            }
        }
        RenderContext ctx = new RenderContext(cloudTopic, bindings, name, sink, receivedAt, body);
        String localTopic = topic.render(ctx);
        Optional<String> topicProblem = Topics.checkTopicName(localTopic, false);
        if (topicProblem.isPresent()) {
            return Optional.of(new Rejected("local " + topicProblem.get()));
        }
        Map<String, String> properties = Map.of();
        if (propertyNames.length > 0) {
            properties = new LinkedHashMap<>();
            for (int i = 0; i < propertyNames.length; i++) {
                properties.put(propertyNames[i], propertyValues[i].render(ctx));
            }
        }
        return Optional.of(new Publish(localTopic, payload.render(ctx), retain, properties));
    }
}
