package io.edgebridge.core.it.faults;

import static io.edgebridge.core.it.faults.PoisonMessageFaultTest.properties;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.core.testing.Closer;
import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.PoisonRun;
import io.edgebridge.core.testing.PoisonRun.Expect;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poison messages with an external Mosquitto as the local broker (which logs "malformed packet"
 * and drops a session that sends one), against the {@code mqtt} sink while other devices keep
 * publishing; the local Mosquitto refuses the dead letters of route {@code sealed} and packets over
 * 128 KB, the cloud Mosquitto refuses {@code forbidden/#} and packets over 64 KB.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoisonMessageMosquittoFaultTest {

    private static final String LOCAL = "mosquitto";
    private static final int LOCAL_MAX_PACKET = 131_072;
    /** See PoisonMessageFaultTest: with Mosquitto 2.0.11, a refused publish needs a real queue limit. */
    private static final String QUEUE = "max_queued_messages 1000000";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;

    private Mosquitto local;
    private Mosquitto cloud;
    private Recorder cloudRecorder;
    private String yaml;
    private TestBridge bridge;
    private Recorder deadLetters;
    private LogCapture logs;

    @BeforeAll
    void start() throws Exception {
        local = new Mosquitto(dir.resolve("local"))
                .withAcl("topic readwrite #\ntopic deny edgebridge/dead-letter/cloud/sealed")
                .withConfig("max_packet_size " + LOCAL_MAX_PACKET + "\n" + QUEUE)
                .start();
        cloud = new Mosquitto(dir.resolve("cloud"))
                .withAcl("topic readwrite #\ntopic deny forbidden/#")
                .withConfig("max_packet_size 65536\n" + QUEUE)
                .start();
        cloudRecorder = new Recorder(cloud.port(), "cloud-recorder", "#");
        yaml = PoisonConfig.yaml(dir, """
                local:
                  broker: mqtt://127.0.0.1:%d
                  clientId: edgebridge-poison
                  reconnect: { min: 100ms, max: 1s }
                """.formatted(local.port()), cloud.port());
        logs = LogCapture.start();
        bridge = TestBridge.start(dir.resolve("bridge"), yaml);
        deadLetters = new Recorder(local.port(), "dead-letter-recorder", "edgebridge/dead-letter/#");
    }

    @AfterAll
    void stop() {
        Closer.closeAll(deadLetters, bridge, cloudRecorder, cloud, local, logs);
    }

    private PoisonRun row(String fault) {
        return PoisonRun.of(fault, LOCAL, "mqtt", bridge, local.port(), logs)
                .destination(PoisonRun.copies(cloudRecorder))
                .traffic(200, i -> "sensors/dev" + (2 + i % 4) + "/temp");
    }

    /** Issue 14, finding 2, with Mosquitto as the local broker ("malformed packet" on main). */
    @Test
    @Order(1)
    void finding2_aTopicTooLongAfterRendering_isDeadLettered_andEveryoneElseFlows() throws Exception {
        row("poison: topic too long after rendering (finding 2: sensors/d1/ + 65,524 x a)")
                .poison("sensors/d1/" + "a".repeat(65_524), "poison-finding-2")
                .traffic(600, i -> "sensors/dev" + (2 + i % 4) + "/temp")
                .timeout(Duration.ofSeconds(30))
                .run().record();
        assertThat(properties(awaitDeadLetter("poison-finding-2")).get("edgebridge-source-topic"))
                .endsWith("[truncated from 65535 bytes]");
    }

    /** The original payload fits the local broker, the dead letter with it would not: it goes without. */
    @Test
    @Order(2)
    void aDeadLetterTooLargeForTheLocalBroker_goesWithoutThePayload() throws Exception {
        String payload = "poison-local-max-" + "z".repeat(LOCAL_MAX_PACKET - 200);
        row("poison: dead letter over the local broker's maximum packet size (payload omitted)")
                .poison("sensors/d1/huge", payload)
                .run().record();
        Mqtt5Publish dead = await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters.messages().stream()
                .filter(m -> "sensors/d1/huge".equals(properties(m).get("edgebridge-source-topic")))
                .findFirst().orElse(null), m -> m != null);
        assertThat(dead.getPayloadAsBytes()).isEmpty();
        assertThat(properties(dead).get("edgebridge-payload-omitted")).startsWith(payload.length() + " bytes")
                .contains("maximum packet size (" + LOCAL_MAX_PACKET + " bytes)");
        assertThat(properties(dead).get("edgebridge-reason")).contains("maximum packet size of 65536");
    }

    /** The cloud refuses the message, the local broker its dead letter: counted, logged once, skipped. */
    @Test
    @Order(3)
    void aMessageThatCannotEvenBeDeadLettered_isCountedAsUndeliverable_andSkipped() throws Exception {
        row("poison: cloud refuses it, local broker refuses its dead letter (undeliverable)")
                .poison("sealed/d1/forbidden", "poison-sealed")
                .expect(Expect.UNDELIVERABLE)
                .run().record();
        assertThat(deadLetters.received("poison-sealed")).isFalse();
        assertThat(bridge.count("edgebridge.messages.dropped", "reason", "undeliverable", "route", "sealed",
                "sink", "cloud")).isEqualTo(1);
        assertThat(logs.lines()).filteredOn(l -> l.contains("undeliverable")).hasSize(1);
    }

    @Test
    @Order(4)
    void afterARestart_nothingPoisonIsTriedAgain() throws Exception {
        bridge.close();
        logs.clear();
        long started = System.nanoTime();
        long deadBefore = deadLetters.total();
        bridge = TestBridge.start(dir.resolve("bridge"), yaml);
        AdminClient admin = new AdminClient(bridge.adminPort());
        List<String> sent = new ArrayList<>();
        try (Publisher devices = new Publisher(local.port(), 100)) {
            for (int i = 0; i < 300; i++) {
                String payload = "after-restart-" + i;
                sent.add(payload);
                devices.publish("sensors/dev" + (i % 4) + "/temp", payload);
            }
            devices.drain(30, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> cloudRecorder.missing(sent).isEmpty() && admin.ready() == 200);
        Duration recovery = Duration.ofNanos(System.nanoTime() - started);
        assertThat(bridge.count("edgebridge.messages.deadlettered")).isZero();
        assertThat(bridge.count("edgebridge.messages.failed")).isZero();
        assertThat(bridge.count("edgebridge.messages.dropped")).isZero();
        assertThat(deadLetters.total()).isEqualTo(deadBefore);
        Map<String, Integer> copies = PoisonRun.copies(cloudRecorder).get();
        long duplicates = sent.stream().mapToLong(p -> Math.max(0, copies.getOrDefault(p, 0) - 1)).sum();
        new FaultRow("restart after poison messages: none re-tried", LOCAL, "mqtt", sent.size(),
                sent.stream().filter(copies::containsKey).count(), 0, duplicates, recovery, logs.count())
                .assertAccounted(0).assertLogLinesAtMost(0).record();
    }

    private Mqtt5Publish awaitDeadLetter(String payload) {
        await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters.received(payload));
        return deadLetters.messages().stream()
                .filter(m -> new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8).equals(payload))
                .findFirst().orElseThrow();
    }
}
