package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.DeadLetterConfig;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.internal.mqtt.InvalidPublishException;
import io.edgebridge.core.internal.mqtt.MqttConnectionException;
import io.edgebridge.core.internal.mqtt.PacketTooLargeException;
import io.edgebridge.core.internal.mqtt.PublishRejectedException;
import io.edgebridge.core.internal.spool.SpoolEntry;
import io.edgebridge.core.testing.Configs;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DeadLettersTest {

    /** Issue 14, finding 2: {@code sensors/d1/} + 65,524 × {@code a}, rendered by the README's route. */
    private static final String SOURCE = "sensors/d1/" + "a".repeat(65_524);
    private static final String TARGET = "gateways/gw-01/d1/" + "a".repeat(65_524);

    private final FakeLocal local = new FakeLocal();

    private DeadLetters deadLetters(String topicTemplate) {
        DeadLetterConfig config = Configs.parse("""
                deadLetter: { topic: "%s", maxAttempts: 3 }
                sinks:
                  out: { type: file, path: out.jsonl }
                routes:
                  - { name: r, from: s/<id>, sink: out, topic: t/<id> }
                """.formatted(topicTemplate)).deadLetter();
        return new DeadLetters(config, local);
    }

    private static SpoolEntry entry(String topic, byte[] payload) {
        return new SpoolEntry(42, 1_700_000_000_000L, 1, false, topic, payload);
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void theFinding2DeadLetter_hasPropertiesOfAtMost1024Bytes_eachSayingHowLongItWas() throws Exception {
        deadLetters("edgebridge/dead-letter/<sink>/<route>")
                .publish("telemetry", "cloud", entry(SOURCE, "x".getBytes(StandardCharsets.UTF_8)), TARGET,
                        "invalid MQTT topic: topic is longer than 65535 bytes")
                .get(5, TimeUnit.SECONDS);

        FakeLocal.Published dead = local.published.remove();
        assertThat(dead.topic()).isEqualTo("edgebridge/dead-letter/cloud/telemetry");
        assertThat(dead.properties().values()).allSatisfy(v -> assertThat(utf8(v)).isLessThanOrEqualTo(1024));
        assertThat(dead.properties().get(DeadLetters.SOURCE_TOPIC)).startsWith("sensors/d1/aaaa")
                .endsWith("...[truncated from 65535 bytes]").hasSize(1024);
        assertThat(dead.properties().get(DeadLetters.TARGET_TOPIC)).startsWith("gateways/gw-01/d1/aaaa")
                .endsWith("...[truncated from 65542 bytes]");
        assertThat(dead.properties()).containsEntry(DeadLetters.REASON,
                "invalid MQTT topic: topic is longer than 65535 bytes").containsEntry(DeadLetters.ROUTE, "telemetry")
                .containsEntry(DeadLetters.SEQUENCE, "42");
        assertThat(new String(dead.payload(), StandardCharsets.UTF_8)).isEqualTo("x");
    }

    @Test
    void aCutValue_neverSplitsACharacter() throws Exception {
        // 'é' is two UTF-8 bytes, '😀' four (a surrogate pair): a cut must fall between characters.
        String topic = "s/" + "é😀".repeat(20_000);
        deadLetters("dl").publish("r", "out", entry(topic, new byte[0]), "t", "too long").get(5, TimeUnit.SECONDS);
        String shown = local.published.remove().properties().get(DeadLetters.SOURCE_TOPIC);
        assertThat(utf8(shown)).isLessThanOrEqualTo(1024);
        String kept = shown.substring(0, shown.indexOf("..."));
        assertThat(new String(kept.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(kept);
        assertThat(shown).endsWith("[truncated from " + utf8(topic) + " bytes]");
    }

    @Test
    void propertyValues_areValidMqttStrings_whateverTheReasonHolds() throws Exception {
        String reason = "line one\nNUL \u0000 here, lone \uD800 surrogate, pair \uD83D\uDE00 kept";
        deadLetters("dl").publish("r", "out", entry("s/1", new byte[0]), "t/1", reason).get(5, TimeUnit.SECONDS);
        assertThat(local.published.remove().properties().get(DeadLetters.REASON))
                .isEqualTo("line one\uFFFDNUL \uFFFD here, lone \uFFFD surrogate, pair \uD83D\uDE00 kept");
    }

    @Test
    void aTopicTemplateWithTheSourceTopic_rendersAValidTopic_boundingTheSourceTopic() {
        DeadLetters d = deadLetters("dead/<topic>/<sink>");
        String topic = d.topicFor("r", "cloud", entry(SOURCE, new byte[0]));
        assertThat(Topics.checkTopicName(topic, false)).isEmpty();
        assertThat(topic).startsWith("dead/sensors/d1/aaa").endsWith("a/cloud");
        assertThat(utf8(topic)).isEqualTo("dead/".length() + 1024 + "/cloud".length());
        assertThat(d.topicFor("r", "cloud", entry("s/1", new byte[0]))).isEqualTo("dead/s/1/cloud");
    }

    @Test
    void aDeadLetterTooLargeForTheLocalBroker_goesWithoutThePayload_andSaysSo() throws Exception {
        local.respondWith(p -> p.payload().length > 1000
                ? CompletableFuture.failedFuture(new PacketTooLargeException(p.payload().length + 400, 1000))
                : CompletableFuture.completedFuture(null));
        deadLetters("dl").publish("r", "out", entry("s/1", new byte[5000]), "t/1", "too large for the cloud")
                .get(5, TimeUnit.SECONDS);

        assertThat(local.attempts).hasSize(2);
        FakeLocal.Published dead = local.published.remove();
        assertThat(dead.payload()).isEmpty();
        assertThat(dead.properties().get(DeadLetters.PAYLOAD_OMITTED))
                .isEqualTo("5000 bytes: with it the dead letter (5400 bytes) exceeds the local broker's maximum"
                        + " packet size (1000 bytes)");
        assertThat(dead.properties()).containsEntry(DeadLetters.REASON, "too large for the cloud");
    }

    @Test
    void aDeadLetterTooLargeEvenWithoutPayload_failsPermanently() {
        local.respondWith(p -> CompletableFuture.failedFuture(new PacketTooLargeException(2000, 1000)));
        CompletableFuture<Void> result = deadLetters("dl").publish("r", "out", entry("s/1", new byte[5000]), "t/1",
                "x");
        assertThat(result).failsWithin(5, TimeUnit.SECONDS).withThrowableThat().havingCause()
                .isInstanceOfSatisfying(DeliveryException.class,
                        e -> assertThat(e.disposition()).isEqualTo(Disposition.PERMANENT));
        assertThat(local.attempts).hasSize(2);
    }

    static List<Object[]> failures() {
        return List.of(
                new Object[] {new MqttConnectionException("link local closed"), Disposition.RETRY},
                new Object[] {new IllegalStateException("the embedded broker is not started"), Disposition.RETRY},
                new Object[] {new PublishRejectedException(0x97, "QUOTA_EXCEEDED"), Disposition.RETRY},
                new Object[] {new PublishRejectedException(0x87, "NOT_AUTHORIZED"), Disposition.REJECTED},
                new Object[] {new PublishRejectedException(0x90, "TOPIC_NAME_INVALID"), Disposition.PERMANENT},
                new Object[] {new InvalidPublishException("topic contains U+0000 (NUL)"), Disposition.PERMANENT},
                new Object[] {new PacketTooLargeException(2000, 1000), Disposition.PERMANENT});
    }

    @ParameterizedTest
    @MethodSource("failures")
    void localFailures_areClassified_passingOnlyWhenTheBrokerCannotBeReached(Throwable failure, Disposition expected) {
        assertThat(DeadLetters.classify(new CompletionException(failure)).disposition()).isEqualTo(expected);
    }
}
