package io.edgebridge.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.core.testing.Closer;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.PoisonRun;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Poison messages against the {@code aws-iot-core} sink (the real aws-crt client against
 * {@link IotCoreStandIn}, mutual TLS) with the embedded local broker, each while other devices keep
 * publishing: a topic over IoT Core's 256 bytes, a payload over its 128 KB, a user property MQTT
 * cannot carry, and a topic the device's policy does not allow (NOT_AUTHORIZED).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AwsPoisonMessageFaultTest {

    private static final String LOCAL = "embedded/extension";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;

    private IotCoreStandIn cloud;
    private int localPort;
    private TestBridge bridge;
    private Recorder deadLetters;
    private LogCapture logs;

    @BeforeAll
    void start() throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "test-iot-ca");
        TestCertificates.Issued device = pki.client("gateway-1");
        cloud = new IotCoreStandIn(dir.resolve("iot"), pki.server("iot-endpoint"), pki).refuse("dt/forbidden/").start();
        localPort = Ports.free();
        logs = LogCapture.start();
        bridge = TestBridge.start(dir.resolve("bridge"), """
                dataDir: %s
                stats: { logInterval: 0 }
                deadLetter: { maxAttempts: 2 }
                local:
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory }
                sinks:
                %s
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: aws
                    topic: dt/gateway-1/<deviceId>/telemetry
                  - name: tagged
                    from: tagged/<deviceId>/#
                    sink: aws
                    topic: dt/gateway-1/<deviceId>/tagged
                    properties: { source: "from:<topic>" }
                  - name: restricted
                    from: restricted/<deviceId>/<kind>
                    sink: aws
                    topic: dt/<kind>/<deviceId>
                """.formatted(dir.resolve("data"), localPort, AwsSinkYaml.sink(cloud.tlsPort(), device.certificate(),
                device.privateKey(), pki.caCertificate(), "reconnect: { min: 100ms, max: 1s }",
                "rateLimit: { messages: 5000 }")));
        deadLetters = new Recorder(localPort, "dead-letter-recorder", "edgebridge/dead-letter/#");
    }

    @AfterAll
    void stop() {
        Closer.closeAll(deadLetters, bridge, cloud, logs);
    }

    private PoisonRun row(String fault) {
        return PoisonRun.of(fault, LOCAL, "aws-iot-core", bridge, localPort, logs).destination(cloud::received)
                .traffic(200, i -> "devices/dev" + (i % 4) + "/telemetry");
    }

    @Test
    void aTopicOverIotCoresLimit_isDeadLettered() throws Exception {
        row("poison: topic too long after rendering (over IoT Core's 256 bytes)")
                .poison("devices/" + "d".repeat(300) + "/telemetry", "poison-topic")
                .run().record();
        assertThat(reason("poison-topic")).contains("256");
    }

    @Test
    void aPayloadOverIotCoresLimit_isDeadLettered() throws Exception {
        String big = "poison-200kb-" + "x".repeat(200 * 1024);
        row("poison: payload over IoT Core's 128 KB")
                .poison("devices/dev1/telemetry", big)
                .run().record();
        assertThat(reason(big)).contains("128 KB");
    }

    @Test
    void aUserPropertyMqttCannotCarry_isDeadLettered() throws Exception {
        row("poison: user property over 65,535 bytes (template from:<topic>)")
                .poison("tagged/d1/" + "b".repeat(65_525), "poison-property")
                .run().record();
        assertThat(reason("poison-property")).contains("USER_PROPERTY_VALIDATION");
    }

    @Test
    void aTopicThePolicyDoesNotAllow_isDeadLetteredAfterMaxAttempts() throws Exception {
        row("poison: target the cloud refuses (MQTT 5 NOT_AUTHORIZED)")
                .poison("restricted/d1/forbidden", "poison-refused")
                .run().record();
        assertThat(reason("poison-refused")).contains("NOT_AUTHORIZED").contains("2 attempts");
    }

    private String reason(String payload) {
        await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters.received(payload));
        Mqtt5Publish dead = deadLetters.messages().stream()
                .filter(m -> new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8).equals(payload))
                .findFirst().orElseThrow();
        return dead.getUserProperties().asList().stream()
                .filter(p -> p.getName().toString().equals("edgebridge-reason"))
                .map(p -> p.getValue().toString()).findFirst().orElse("");
    }
}
