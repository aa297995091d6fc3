package io.edgebridge.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.core.testing.Closer;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.PoisonRun;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poison messages against the {@code gcp-pubsub} sink (the real client library against
 * {@link PubSubStandIn}) with the embedded local broker, each while other devices keep publishing:
 * a topic id Pub/Sub would refuse, an attribute over Pub/Sub's 1,024 bytes, a message over its
 * 10 MB request limit, and a topic the service refuses (INVALID_ARGUMENT).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GcpPoisonMessageFaultTest {

    private static final String LOCAL = "embedded/extension";
    private static final String PROJECT = "test-project";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;

    private PubSubStandIn pubsub;
    private int localPort;
    private TestBridge bridge;
    private Recorder deadLetters;
    private LogCapture logs;

    @BeforeAll
    void start() throws Exception {
        pubsub = PubSubStandIn.start();
        pubsub.refuseTopic("projects/" + PROJECT + "/topics/forbidden", Status.Code.INVALID_ARGUMENT);
        localPort = Ports.free();
        logs = LogCapture.start();
        bridge = TestBridge.start(dir.resolve("bridge"), """
                dataDir: %s
                stats: { logInterval: 0 }
                deadLetter: { maxAttempts: 2 }
                local:
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory }
                sinks:
                  pubsub:
                    type: gcp-pubsub
                    project: %s
                    emulatorHost: %s
                    batching: { messages: 50, bytes: 256KB, delay: 5ms }
                    flowControl: { messages: 1000, bytes: 64MB }
                routes:
                  - name: per-device
                    from: devices/<deviceId>/telemetry
                    sink: pubsub
                    topic: device-<deviceId>
                    orderingKey: <deviceId>
                  - name: tagged
                    from: tagged/<deviceId>/#
                    sink: pubsub
                    topic: telemetry
                    properties: { deviceId: <deviceId>, source: <topic> }
                  - name: restricted
                    from: restricted/<deviceId>/<kind>
                    sink: pubsub
                    topic: <kind>
                """.formatted(dir.resolve("data"), localPort, PROJECT, pubsub.hostPort()));
        deadLetters = new Recorder(localPort, "dead-letter-recorder", "edgebridge/dead-letter/#");
    }

    @AfterAll
    void stop() throws Exception {
        Closer.closeAll(deadLetters, bridge, pubsub, logs);
    }

    private Supplier<Map<String, Integer>> received() {
        return () -> {
            Map<String, Integer> copies = new HashMap<>();
            pubsub.published().forEach(p -> copies.merge(p.payload(), 1, Integer::sum));
            return copies;
        };
    }

    private PoisonRun row(String fault) {
        return PoisonRun.of(fault, LOCAL, "gcp-pubsub", bridge, localPort, logs).destination(received())
                .traffic(200, i -> "devices/dev" + (i % 4) + "/telemetry");
    }

    @Test
    void aTopicIdPubSubWouldRefuse_isDeadLettered() throws Exception {
        // device-<deviceId> renders 307 characters: topic ids have 3 to 255.
        row("poison: topic too long after rendering (Pub/Sub topic id over 255 characters)")
                .poison("devices/" + "d".repeat(300) + "/telemetry", "poison-topic-id")
                .run().record();
        assertThat(reason("poison-topic-id")).contains("255");
    }

    @Test
    void anAttributeOverPubSubsLimit_isDeadLettered() throws Exception {
        row("poison: attribute value over Pub/Sub's 1,024 bytes (property <topic>)")
                .poison("tagged/d1/" + "t".repeat(2_000), "poison-attribute")
                .run().record();
        assertThat(reason("poison-attribute")).contains("attribute 'source'").contains("1024");
    }

    @Test
    void aMessageOverPubSubsRequestLimit_isDeadLettered() throws Exception {
        String big = "poison-10mb-" + "x".repeat(10_000_000);
        row("poison: over Pub/Sub's 10 MB publish request limit")
                .poison("devices/dev1/telemetry", big)
                .run().record();
        assertThat(reason(big)).contains("10000000");
    }

    @Test
    void aTopicThePubSubServiceRefuses_isDeadLetteredAfterMaxAttempts() throws Exception {
        row("poison: target the cloud refuses (Pub/Sub INVALID_ARGUMENT)")
                .poison("restricted/d1/forbidden", "poison-refused")
                .run().record();
        assertThat(reason("poison-refused")).contains("INVALID_ARGUMENT").contains("2 attempts");
    }

    private String reason(String payload) {
        await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters.received(payload));
        Mqtt5Publish dead = deadLetters.messages().stream()
                .filter(m -> new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8).equals(payload))
                .findFirst().orElseThrow();
        return dead.getUserProperties().asList().stream().filter(p -> p.getName().toString().equals("edgebridge-reason"))
                .map(p -> p.getValue().toString()).findFirst().orElse("");
    }
}
