package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.DeadLetterConfig;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.route.CompiledTemplate;
import io.edgebridge.core.internal.route.RenderContext;
import io.edgebridge.core.internal.spool.SpoolEntry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Publishes messages a sink will never take to the local dead-letter topic: the original payload,
 * with the reason and origin in MQTT 5 user properties.
 */
public final class DeadLetters {

    public static final String REASON = "edgebridge-reason";
    public static final String ROUTE = "edgebridge-route";
    public static final String SINK = "edgebridge-sink";
    public static final String SOURCE_TOPIC = "edgebridge-source-topic";
    public static final String TARGET_TOPIC = "edgebridge-target-topic";
    public static final String SEQUENCE = "edgebridge-sequence";
    public static final String RECEIVED_AT = "edgebridge-received-at";

    private final CompiledTemplate topic;
    private final int maxAttempts;
    private final LocalBroker local;

    public DeadLetters(DeadLetterConfig config, LocalBroker local) {
        this.topic = CompiledTemplate.compile(config.topic(), List.of());
        this.maxAttempts = config.maxAttempts();
        this.local = local;
    }

    /** How often a rejected message is tried before it is dead-lettered. */
    public int maxAttempts() {
        return maxAttempts;
    }

    public String topicFor(String route, String sink, SpoolEntry entry) {
        return topic.render(new RenderContext(entry.topic(), new String[0], route, sink, entry.receivedAt(),
                entry.payload()));
    }

    /** Publishes the dead letter; completes at the local PUBACK. */
    public CompletableFuture<Void> publish(String route, String sink, SpoolEntry entry, String targetTopic,
            String reason) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(REASON, reason);
        properties.put(ROUTE, route);
        properties.put(SINK, sink);
        properties.put(SOURCE_TOPIC, entry.topic());
        properties.put(TARGET_TOPIC, targetTopic);
        properties.put(SEQUENCE, Long.toString(entry.seq()));
        properties.put(RECEIVED_AT, Long.toString(entry.receivedAt()));
        return local.publish(topicFor(route, sink, entry), entry.payload(), false, properties);
    }
}
