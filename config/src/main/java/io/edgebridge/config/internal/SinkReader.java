package io.edgebridge.config.internal;

import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.Location;
import io.edgebridge.config.ProbeConfig;
import io.edgebridge.config.RateLimit;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.SinkType;
import io.edgebridge.config.template.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * One entry of {@code sinks}: its name, the common keys ({@code type}, {@code maxInFlight},
 * {@code required}, {@code probe}, {@code rateLimit}) and the type's own options.
 */
final class SinkReader {

    static final String TYPE = "type";
    static final String MAX_IN_FLIGHT = "maxInFlight";
    static final String REQUIRED = "required";
    static final String PROBE = "probe";
    static final String RATE_LIMIT = "rateLimit";
    static final Set<String> COMMON_KEYS = Set.of(TYPE, MAX_IN_FLIGHT, REQUIRED, PROBE, RATE_LIMIT);
    static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(30);
    static final int MAX_RATE_MESSAGES = 1_000_000;
    static final long MIN_RATE_BYTES = 1024;

    private SinkReader() {
    }

    /** Reads sink {@code name} of the {@code sinks} mapping, defines it in the catalog, returns its config. */
    static Optional<SinkConfig> read(NodeMap sinks, String name, SinkCatalog catalog,
            ClientIdDefaults clientIdDefaults) {
        Location keyLocation = sinks.keyLocation(name);
        SinkCatalog.nameProblem("sink", new Scalar(name, keyLocation, List.of(), false))
                .ifPresent(p -> sinks.problemAt(keyLocation, p));
        Optional<Node> node = sinks.node(name);
        if (node.isEmpty() || !(node.get() instanceof MappingNode mapping)) {
            sinks.problemAt(node.isEmpty() ? keyLocation : sinks.locationOf(name),
                    "expected a mapping with the sink's settings, starting with 'type'");
            catalog.define(new SinkCatalog.DefinedSink(name, Optional.empty(), keyLocation));
            return Optional.empty();
        }
        NodeMap m = sinks.child(mapping, sinks.childPath(name));
        String type = m.requiredString(TYPE);
        if (type.equals(FailoverOptions.TYPE)) {
            catalog.define(new SinkCatalog.DefinedSink(name, Optional.empty(), m.location()));
            return Optional.of(FailoverReader.read(name, m, m.integer(MAX_IN_FLIGHT, 1000, 1, 100_000), catalog));
        }
        SinkType sinkType = catalog.types().get(type);
        catalog.define(new SinkCatalog.DefinedSink(name, Optional.ofNullable(sinkType), m.location()));
        if (sinkType == null) {
            if (!type.isEmpty()) {
                reportUnknownType(m, catalog);
            }
            return Optional.empty(); // the other keys depend on the type
        }
        int maxInFlight = m.integer(MAX_IN_FLIGHT, 1000, 1, 100_000);
        boolean required = m.bool(REQUIRED, true);
        Optional<RateLimit> rateLimit = m.has(RATE_LIMIT) ? m.mapping(RATE_LIMIT).flatMap(SinkReader::rateLimit)
                : sinkType.defaultRateLimit();
        Optional<ProbeConfig> probe = m.mapping(PROBE).flatMap(p -> probe(p, sinkType));
        Object options = sinkType.parseOptions(name,
                m.alsoAllowing(COMMON_KEYS).withClientIdDefaults(clientIdDefaults));
        return Optional.of(new SinkConfig(name, type, maxInFlight, rateLimit, options, m.location(), required,
                probe));
    }

    private static Optional<ProbeConfig> probe(NodeMap p, SinkType sinkType) {
        p.checkKeys(Set.of("topic", "interval"));
        String topic = p.requiredString("topic");
        Duration interval = p.duration("interval", DEFAULT_PROBE_INTERVAL, Duration.ofSeconds(1), SectionReader.NO_LIMIT);
        if (topic.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> problem = Topics.checkTopicName(topic, sinkType.allowsDollarTopics());
        problem.ifPresent(why -> p.problem("topic", "expected a topic name to publish to: " + why));
        return problem.isPresent() ? Optional.empty() : Optional.of(new ProbeConfig(topic, interval));
    }

    /** {@code rateLimit: {messages: N, bytes: SIZE}}, per second; either or both. */
    private static Optional<RateLimit> rateLimit(NodeMap m) {
        m.checkKeys(Set.of("messages", "bytes"));
        if (!m.has("messages") && !m.has("bytes")) {
            m.problemAt(m.location(), "a rate limit needs 'messages' (per second), 'bytes' (per second) or both");
            return Optional.empty();
        }
        // -1: absent or invalid (an invalid value was reported and the load fails).
        int messages = m.integer("messages", -1, 1, MAX_RATE_MESSAGES);
        long bytes = m.byteSize("bytes", -1, MIN_RATE_BYTES, Long.MAX_VALUE);
        if (messages < 0 && bytes < 0) {
            return Optional.empty();
        }
        return Optional.of(new RateLimit(messages < 0 ? OptionalInt.empty() : OptionalInt.of(messages),
                bytes < 0 ? OptionalLong.empty() : OptionalLong.of(bytes)));
    }

    private static void reportUnknownType(NodeMap m, SinkCatalog catalog) {
        Scalar type = m.scalar(TYPE).orElseThrow();
        Set<String> known = new java.util.TreeSet<>(catalog.types().keySet());
        known.add(FailoverOptions.TYPE);
        String suggestion = type.sensitive() ? "" : Suggestions.didYouMean(type.text(), known);
        m.problem(TYPE, "unknown sink type " + type.shown() + suggestion
                + (known.isEmpty() ? "; no sink types are available" : "; known types: " + Suggestions.list(known)));
    }
}
