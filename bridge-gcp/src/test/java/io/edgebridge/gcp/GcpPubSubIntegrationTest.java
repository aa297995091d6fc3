package io.edgebridge.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Pub/Sub client library (emulatorHost mode) against {@link PubSubStandIn}, with
 * Mosquitto as the local broker and EdgeBridge in the test JVM.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GcpPubSubIntegrationTest {

    private static final String PROJECT = "test-project";
    private static final String TOPIC = "projects/" + PROJECT + "/topics/telemetry";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String yaml(int localPort, PubSubStandIn pubsub, String sinkExtra, String routesExtra) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                deadLetter: { maxAttempts: 3 }
                local:
                  broker: mqtt://127.0.0.1:%d
                  clientId: edgebridge-test
                  reconnect: { min: 100ms, max: 1s }
                sinks:
                  pubsub:
                    type: gcp-pubsub
                    project: %s
                    emulatorHost: %s
                    batching: { messages: 50, bytes: 256KB, delay: 20ms }
                %s
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: pubsub
                    topic: telemetry
                    orderingKey: <deviceId>
                %s
                """.formatted(dir.resolve("data"), localPort, PROJECT, pubsub.hostPort(),
                sinkExtra.indent(4).stripTrailing(), routesExtra.stripTrailing());
    }

    /** Publishes the {@code i}-th message: device {@code i % devices}, its counter {@code i / devices}. */
    private static String publish(Publisher devices, int i, int deviceCount) {
        String device = "dev" + (i % deviceCount);
        String payload = device + ":" + (i / deviceCount);
        devices.publish("devices/" + device + "/telemetry", payload);
        return payload;
    }

    /**
     * Per ordering key, the counters in the order the stand-in received them: each key must show
     * 0, 1, 2, ... without gaps, repeats or reordering.
     */
    private static void assertInOrderPerKey(PubSubStandIn pubsub, int deviceCount, int perDevice) {
        Map<String, List<Integer>> byKey = new LinkedHashMap<>();
        for (PubSubStandIn.Published p : pubsub.published()) {
            String payload = p.payload();
            assertThat(p.message().getOrderingKey()).isEqualTo(payload.substring(0, payload.indexOf(':')));
            byKey.computeIfAbsent(p.message().getOrderingKey(), k -> new ArrayList<>())
                    .add(Integer.parseInt(payload.substring(payload.indexOf(':') + 1)));
        }
        assertThat(byKey).hasSize(deviceCount);
        List<Integer> expected = java.util.stream.IntStream.range(0, perDevice).boxed().toList();
        byKey.forEach((key, counters) -> assertThat(counters).as("order of ordering key %s", key)
                .isEqualTo(expected));
    }

    @Test
    void tenThousandMessagesFrom100Devices_arriveBatchedWithAttributesAndInOrderPerOrderingKey() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var pubsub = PubSubStandIn.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), pubsub, "", ""));
                var devices = new Publisher(local.port(), 200)) {
            for (int i = 0; i < 10_000; i++) {
                publish(devices, i, 100);
            }
            devices.drain(120, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(10_000);
            await().atMost(Duration.ofSeconds(120)).until(() -> pubsub.published().size() >= 10_000);

            assertThat(pubsub.published()).hasSize(10_000);
            assertInOrderPerKey(pubsub, 100, 100);
            for (PubSubStandIn.Published p : pubsub.published()) {
                String device = p.message().getOrderingKey();
                assertThat(p.topic()).isEqualTo(TOPIC);
                assertThat(p.message().getAttributesMap()).containsOnly(Map.entry("deviceId", device),
                        Map.entry("sourceTopic", "devices/" + device + "/telemetry"));
            }
            // Batched: fewer publish requests than messages, and some carried many.
            assertThat(pubsub.requests()).isLessThan(10_000);
            long largest = pubsub.published().stream()
                    .collect(Collectors.groupingBy(PubSubStandIn.Published::request, Collectors.counting()))
                    .values().stream().mapToLong(Long::longValue).max().orElse(0);
            assertThat(largest).isGreaterThan(1);
            assertThat(bridge.count("edgebridge.messages.forwarded", "route", "telemetry", "sink", "pubsub"))
                    .isEqualTo(10_000);
            assertThat(bridge.bridge().sinksConnected()).isTrue();
        }
    }

    @Test
    void standInAnsweringUnavailableForTenSecondsMidStream_noMessageIsLost_andOrderHolds() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var pubsub = PubSubStandIn.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), pubsub, "", ""));
                var devices = new Publisher(local.port(), 200)) {
            for (int i = 0; i < 3000; i++) {
                publish(devices, i, 100);
                if (i == 1000) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> pubsub.published().size() >= 500);
                    pubsub.unavailable(true);
                }
            }
            devices.drain(60, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(3000);
            // The outage (the scenario asks for ten seconds): nothing gets through while it lasts.
            int duringOutage = pubsub.published().size();
            await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15))
                    .until(() -> pubsub.published().size() == duringOutage);
            assertThat(pubsub.refused()).as("publishes refused during the outage").isPositive();
            assertThat(duringOutage).isLessThan(3000);
            pubsub.unavailable(false);

            await().atMost(Duration.ofSeconds(90)).until(() -> pubsub.published().size() >= 3000);
            // Anything more would be a duplicate.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> pubsub.published().size() == 3000);
            assertThat(pubsub.published()).hasSize(3000);
            assertInOrderPerKey(pubsub, 100, 30);
        }
    }

    @Test
    void aRefusedBatchPausesItsOrderingKey_theRetriedMessagesGoOutInOrderAndTheKeyResumes() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var pubsub = PubSubStandIn.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), pubsub, "", ""));
                var devices = new Publisher(local.port(), 200)) {
            for (int i = 0; i < 2000; i++) {
                publish(devices, i, 20);
                if (i == 600) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> pubsub.published().size() >= 300);
                    // Not retried by the library: the keys of these batches pause, their messages come back
                    // from the engine's retries in another order, and must still go out in spool order.
                    pubsub.failPublishes(Status.Code.NOT_FOUND, 15);
                }
            }
            devices.drain(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(120)).until(() -> pubsub.published().size() >= 2000);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> pubsub.published().size() == 2000);
            assertThat(pubsub.refused()).isEqualTo(15);
            assertThat(pubsub.published()).hasSize(2000);
            assertInOrderPerKey(pubsub, 20, 100);
            assertThat(bridge.count("edgebridge.messages.failed", "route", "telemetry", "sink", "pubsub", "reason", "retry"))
                    .isPositive();
        }
    }

    @Test
    void messagesPubSubWouldRefuse_areDeadLetteredAtOnceWithTheReason() throws Exception {
        String routes = """
                  - name: kinds
                    from: plant/<kind>/status
                    sink: pubsub
                    topic: status-<kind>
                """;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var pubsub = PubSubStandIn.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), pubsub, "", routes));
                var deadLetters = new Recorder(local.port(), "dead-letters", "edgebridge/dead-letter/#");
                var devices = new Publisher(local.port(), 10)) {
            String longDevice = "d".repeat(1100); // an attribute value over 1024 bytes
            devices.publish("devices/" + longDevice + "/telemetry", "too-long-attribute");
            devices.publish("plant/bad!kind/status", "bad-topic-id"); // '!' cannot be in a topic id
            devices.publish("plant/boiler/status", "fine");
            devices.drain(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters.received("too-long-attribute")
                    && deadLetters.received("bad-topic-id") && pubsub.published().size() == 1);
            assertThat(pubsub.published().get(0).topic()).isEqualTo("projects/" + PROJECT + "/topics/status-boiler");
            assertThat(bridge.count("edgebridge.messages.deadlettered", "sink", "pubsub", "reason", "permanent"))
                    .isEqualTo(2);
            assertThat(deadLetters.messages()).allSatisfy(m -> assertThat(m.getUserProperties().asList().toString())
                    .containsAnyOf("1100 bytes", "topic id 'status-bad!kind' is invalid"));
        }
    }

    @Test
    void downstream_isPublishedLocallyAndAckedOnlyAfterTheLocalPuback_nackedWhileTheBrokerIsDown_invalidRejected()
            throws Exception {
        String sink = "downstream: { subscription: commands-sub, timeout: 2s }";
        String routes = """
                  - name: commands
                    direction: downstream
                    from: { sink: pubsub, topic: commands/<deviceId> }
                    to: devices/<deviceId>/commands
                """;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var pubsub = PubSubStandIn.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), pubsub, sink, routes))) {
            try (var recorder = new Recorder(local.port(), "local-recorder", "devices/+/commands")) {
                String first = pubsub.inject("reboot", Map.of("deviceId", "dev7"));
                await().atMost(Duration.ofSeconds(30)).until(() -> recorder.received("reboot") && pubsub.acked(first));
                assertThat(recorder.topicOf("reboot")).isEqualTo("devices/dev7/commands");
                long localArrival = recorder.arrivals().get(0).nanos();
                assertThat(pubsub.events()).containsSubsequence("deliver:" + first, "ack:" + first);
                assertThat(localArrival).isPositive();
            }
            // The local broker is down: no ack; after downstream.timeout a nack, and Pub/Sub redelivers.
            local.stop();
            String second = pubsub.inject("update", Map.of("deviceId", "dev8"));
            await().atMost(Duration.ofSeconds(30)).until(() -> pubsub.events().contains("nack:" + second)
                    && pubsub.deliveries(second) >= 2);
            assertThat(pubsub.acked(second)).as("acknowledged while the local broker is down").isFalse();
            assertThat(bridge.count("edgebridge.gcp.downstream", "sink", "pubsub", "result", "nacked")).isPositive();
            local.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> pubsub.acked(second));
            List<String> events = pubsub.events();
            assertThat(events.indexOf("ack:" + second)).isGreaterThan(events.lastIndexOf("nack:" + second));

            try (var recorder = new Recorder(local.port(), "local-recorder-2", "devices/#")) {
                double rejectedBefore = bridge.count("edgebridge.gcp.downstream", "sink", "pubsub", "result",
                        "rejected");
                String slash = pubsub.inject("slash", Map.of("deviceId", "a/b"));
                String wildcard = pubsub.inject("wildcard", Map.of("deviceId", "#"));
                String missing = pubsub.inject("missing", Map.of("other", "x"));
                pubsub.inject("after", Map.of("deviceId", "dev9"));
                await().atMost(Duration.ofSeconds(30)).until(() -> recorder.received("after"));
                assertThat(recorder.topicOf("after")).isEqualTo("devices/dev9/commands");
                await().atMost(Duration.ofSeconds(10)).until(() -> pubsub.acked(slash) && pubsub.acked(wildcard)
                        && pubsub.acked(missing));
                assertThat(bridge.count("edgebridge.gcp.downstream", "sink", "pubsub", "result", "rejected"))
                        .isEqualTo(rejectedBefore + 3);
                assertThat(pubsub.deliveries(slash)).isEqualTo(1);
                Set<String> payloads = new TreeSet<>();
                recorder.messages().forEach(m -> payloads.add(new String(m.getPayloadAsBytes())));
                assertThat(payloads).doesNotContain("slash", "wildcard", "missing");
            }
            assertThat(bridge.count("edgebridge.gcp.downstream", "sink", "pubsub", "result", "delivered"))
                    .isGreaterThanOrEqualTo(3);
        }
    }
}
