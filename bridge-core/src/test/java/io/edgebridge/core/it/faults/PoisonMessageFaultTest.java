package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.core.testing.Closer;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.PoisonRun;
import io.edgebridge.core.testing.PoisonRun.Expect;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
 * Poison messages against the core sinks ({@code mqtt}, {@code file}) with the embedded broker
 * ({@code intake: extension}), each while other devices keep publishing: one bridge for every row
 * (the restart check is in {@link PoisonMessageMosquittoFaultTest}, where a restart is cheap). The cloud is a Mosquitto that refuses {@code forbidden/#} and packets over 64 KB.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoisonMessageFaultTest {

    private static final String LOCAL = "embedded/extension";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;

    private Mosquitto cloud;
    private Recorder cloudRecorder;
    private int localPort;
    private TestBridge bridge;
    private Recorder deadLetters;
    private LogCapture logs;

    @BeforeAll
    void start() throws Exception {
        cloud = new Mosquitto(dir.resolve("cloud"))
                .withAcl("topic readwrite #\ntopic deny forbidden/#")
                // Mosquitto 2.0.11 with max_queued_messages 0 (the helper's "unlimited") drops a client after
                // any publish it refuses (handle__publish returns QUOTA_EXCEEDED as an error): a real queue limit.
                .withConfig("max_packet_size 65536\nmax_queued_messages 1000000")
                .start();
        cloudRecorder = new Recorder(cloud.port(), "cloud-recorder", "#");
        localPort = Ports.free();
        String yaml = PoisonConfig.yaml(dir, """
                local:
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory }
                """.formatted(localPort), cloud.port());
        logs = LogCapture.start();
        bridge = TestBridge.start(dir.resolve("bridge"), yaml);
        deadLetters = new Recorder(localPort, "dead-letter-recorder", "edgebridge/dead-letter/#");
    }

    @AfterAll
    void stop() {
        Closer.closeAll(deadLetters, bridge, cloudRecorder, cloud, logs);
    }

    private PoisonRun row(String fault, String sink) {
        return PoisonRun.of(fault, LOCAL, sink, bridge, localPort, logs)
                .destination(PoisonRun.copies(cloudRecorder))
                .traffic(200, i -> "sensors/dev" + (2 + i % 4) + "/temp");
    }

    /**
     * Issue 14, finding 2, as measured: the README's route, one QoS 1 publish to {@code sensors/d1/}
     * plus 65,524 × {@code a}. The rendered topic is too long, so it is dead-lettered; the dead letter
     * must be publishable (bounded properties), and nobody else's messages may wait for it. (The
     * sink's window is 4 × 100 here, so a stall shows within 600 messages rather than 16,000.)
     */
    @Test
    @Order(1)
    void finding2_aTopicTooLongAfterRendering_isDeadLettered_andEveryoneElseFlows() throws Exception {
        String poisonTopic = "sensors/d1/" + "a".repeat(65_524);
        row("poison: topic too long after rendering (finding 2: sensors/d1/ + 65,524 x a)", "mqtt")
                .poison(poisonTopic, "poison-finding-2")
                .traffic(600, i -> "sensors/dev" + (2 + i % 4) + "/temp")
                .timeout(Duration.ofSeconds(30))
                .run().record();

        Mqtt5Publish dead = awaitDeadLetter("poison-finding-2");
        assertThat(dead.getTopic().toString()).isEqualTo("edgebridge/dead-letter/cloud/telemetry");
        Map<String, String> properties = properties(dead);
        assertThat(properties.get("edgebridge-reason")).contains("65535");
        assertThat(properties.get("edgebridge-source-topic")).startsWith("sensors/d1/aaa")
                .endsWith("[truncated from 65535 bytes]");
        assertThat(properties.get("edgebridge-target-topic")).startsWith("gateways/gw-01/d1/aaa")
                .endsWith("[truncated from 65542 bytes]");
        assertThat(properties.values()).allSatisfy(v ->
                assertThat(v.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024));
    }

    @Test
    @Order(2)
    void aPropertyTheMqttProtocolCannotCarry_isDeadLettered() throws Exception {
        // The target's property source: "from:<topic>" renders 65,540 bytes: more than an MQTT string holds.
        row("poison: user property over 65,535 bytes (template from:<topic>)", "mqtt")
                .poison("tagged/d1/" + "b".repeat(65_525), "poison-property")
                .run().record();
        assertThat(properties(awaitDeadLetter("poison-property")).get("edgebridge-reason"))
                .contains("user property").contains("65535");
    }

    @Test
    @Order(3)
    void aPayloadOverTheCloudBrokersMaximumPacketSize_isDeadLettered() throws Exception {
        String big = "poison-big-" + "x".repeat(100 * 1024);
        row("poison: over the mqtt broker's maximum packet size (64 KB)", "mqtt")
                .poison("sensors/d1/big", big)
                .run().record();
        Mqtt5Publish dead = awaitDeadLetter(big);
        assertThat(properties(dead).get("edgebridge-reason")).contains("maximum packet size");
    }

    @Test
    @Order(4)
    void aTargetTheCloudRefuses_isDeadLetteredAfterMaxAttempts() throws Exception {
        row("poison: target the cloud refuses (MQTT 5 NOT_AUTHORIZED)", "mqtt")
                .poison("restricted/d1/forbidden", "poison-refused")
                .run().record();
        assertThat(properties(awaitDeadLetter("poison-refused")).get("edgebridge-reason"))
                .contains("NOT_AUTHORIZED").contains("2 attempts");
    }

    @Test
    @Order(5)
    void theFileSinkTakesALongTopicAndALargePayload() throws Exception {
        String big = "poison-file-" + "y".repeat(256 * 1024);
        PoisonRun.of("poison: 65,535-byte topic with a 256 KB payload", LOCAL, "file", bridge, localPort, logs)
                .destination(PoisonConfig.fileLines(dir.resolve("out.jsonl")))
                .traffic(200, i -> "archive/dev" + (2 + i % 4) + "/temp")
                .poison("archive/d1/" + "c".repeat(65_524), big)
                .expect(Expect.DELIVERED)
                .run().record();
    }

    private Mqtt5Publish awaitDeadLetter(String payload) {
        await("dead letter of " + payload.substring(0, Math.min(40, payload.length())))
                .atMost(Duration.ofSeconds(10)).until(() -> deadLetters.received(payload));
        return deadLetters.messages().stream()
                .filter(m -> new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8).equals(payload))
                .findFirst().orElseThrow();
    }

    static Map<String, String> properties(Mqtt5Publish publish) {
        return publish.getUserProperties().asList().stream().collect(Collectors.toMap(
                p -> p.getName().toString(), p -> p.getValue().toString(), (a, b) -> b));
    }
}
