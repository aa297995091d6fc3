package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.DeadLetterConfig;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.mqtt.InvalidPublishException;
import io.edgebridge.core.internal.mqtt.PacketTooLargeException;
import io.edgebridge.core.internal.mqtt.PublishFailures;
import io.edgebridge.core.internal.mqtt.PublishRejectedException;
import io.edgebridge.core.internal.route.CompiledTemplate;
import io.edgebridge.core.internal.route.RenderContext;
import io.edgebridge.core.internal.spool.SpoolEntry;
import io.edgebridge.core.support.Futures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Publishes messages a sink will never take to the local dead-letter topic: the original payload,
 * with the reason and origin in MQTT 5 user properties.
 *
 * <p>A dead letter is always a publishable packet, whatever made the message poison: property values
 * are valid and at most {@link DeadLetterText#MAX_PROPERTY_BYTES} UTF-8 bytes (a longer one is cut and
 * says how long it was), the topic binds at most {@link DeadLetterText#MAX_TOPIC_VALUE_BYTES} of the
 * source topic and falls back to {@code edgebridge/dead-letter/<sink>/<route>} if it still is not a
 * valid topic, and when the local broker's maximum packet size cannot take the payload, the dead
 * letter goes without it and says so ({@link #PAYLOAD_OMITTED}).
 */
public final class DeadLetters {

    public static final String REASON = "edgebridge-reason";
    public static final String ROUTE = "edgebridge-route";
    public static final String SINK = "edgebridge-sink";
    public static final String SOURCE_TOPIC = "edgebridge-source-topic";
    public static final String TARGET_TOPIC = "edgebridge-target-topic";
    public static final String SEQUENCE = "edgebridge-sequence";
    public static final String RECEIVED_AT = "edgebridge-received-at";
    /** Present when the payload was left out: its length, and why. */
    public static final String PAYLOAD_OMITTED = "edgebridge-payload-omitted";

    private static final CompiledTemplate FALLBACK_TOPIC =
            CompiledTemplate.compile(Template.parse("edgebridge/dead-letter/<sink>/<route>"), List.of());
    private static final byte[] NO_PAYLOAD = new byte[0];

    private final CompiledTemplate topic;
    private final int maxAttempts;
    private final LocalBroker local;

    public DeadLetters(DeadLetterConfig config, LocalBroker local) {
        this.topic = CompiledTemplate.compile(config.topic(), List.of());
        this.maxAttempts = config.maxAttempts();
        this.local = local;
    }

    /** How often a rejected message is tried before it is dead-lettered, and a refused dead letter before it is dropped. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The dead-letter topic for a message of {@code route} on {@code sink}: always a valid topic name. */
    public String topicFor(String route, String sink, SpoolEntry entry) {
        String rendered = render(topic, route, sink, entry);
        if (Topics.checkTopicName(rendered, false).isEmpty()) {
            return rendered;
        }
        // Only names and the bounded source topic go in, so this is rare: a '+' or '#' in a route name.
        String fallback = render(FALLBACK_TOPIC, route, sink, entry);
        return Topics.checkTopicName(fallback, false).isEmpty() ? fallback : "edgebridge/dead-letter";
    }

    private static String render(CompiledTemplate template, String route, String sink, SpoolEntry entry) {
        return template.render(new RenderContext(DeadLetterText.topicValue(entry.topic()), new String[0], route, sink,
                entry.receivedAt(), entry.payload()));
    }

    /**
     * Publishes the dead letter; completes at the local PUBACK. Fails with a {@link DeliveryException}:
     * {@code RETRY} while the local broker cannot be reached (try again later), {@code REJECTED} when
     * it refused the dead letter with a reason code, {@code PERMANENT} when it can never take it.
     */
    public CompletableFuture<Void> publish(String route, String sink, SpoolEntry entry, String targetTopic,
            String reason) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(REASON, DeadLetterText.property(reason));
        properties.put(ROUTE, DeadLetterText.property(route));
        properties.put(SINK, DeadLetterText.property(sink));
        properties.put(SOURCE_TOPIC, DeadLetterText.property(entry.topic()));
        properties.put(TARGET_TOPIC, DeadLetterText.property(targetTopic));
        properties.put(SEQUENCE, Long.toString(entry.seq()));
        properties.put(RECEIVED_AT, Long.toString(entry.receivedAt()));
        String deadLetterTopic = topicFor(route, sink, entry);
        return local.publish(deadLetterTopic, entry.payload(), false, properties)
                .handle((ok, error) -> {
                    if (error == null) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    if (Futures.unwrap(error) instanceof PacketTooLargeException tooLarge && entry.payload().length > 0) {
                        Map<String, String> without = new LinkedHashMap<>(properties);
                        without.put(PAYLOAD_OMITTED, entry.payload().length + " bytes: with it the dead letter ("
                                + tooLarge.size() + " bytes) exceeds the local broker's maximum packet size ("
                                + tooLarge.maximum() + " bytes)");
                        return local.publish(deadLetterTopic, NO_PAYLOAD, false, without);
                    }
                    return CompletableFuture.<Void>failedFuture(error);
                })
                .thenCompose(f -> f)
                .handle((ok, error) -> {
                    if (error != null) {
                        throw new CompletionException(classify(error));
                    }
                    return null;
                });
    }

    /**
     * What a failed dead-letter publish means: the broker's own refusals (a reason code, a packet it
     * cannot take) are classified as for any publish; anything else (disconnected, not started) passes.
     */
    static DeliveryException classify(Throwable error) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof DeliveryException d) {
            return d;
        }
        if (cause instanceof PublishRejectedException || cause instanceof PacketTooLargeException
                || cause instanceof InvalidPublishException || cause instanceof IllegalArgumentException) {
            return PublishFailures.classify(cause);
        }
        return new DeliveryException(Disposition.RETRY, "local broker: " + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
    }

}
