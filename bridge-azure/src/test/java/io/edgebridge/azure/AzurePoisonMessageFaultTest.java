package io.edgebridge.azure;

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
 * Poison messages against the {@code azure-iot-hub} sink (the real device SDK against
 * {@link IotHubStandIn}) with the embedded local broker, each while other devices keep publishing.
 * IoT Hub speaks MQTT 3.1.1 to devices: it refuses a message by closing the connection, never with a
 * reason code, so there is no "target the cloud refuses" row for it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AzurePoisonMessageFaultTest {

    private static final String LOCAL = "embedded/extension";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;

    private IotHubStandIn hub;
    private int localPort;
    private TestBridge bridge;
    private Recorder deadLetters;
    private LogCapture logs;

    @BeforeAll
    void start() throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "test-hub-ca");
        hub = new IotHubStandIn(dir.resolve("hub"), pki).start();
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
                    from: sensors/<deviceId>/#
                    sink: hub
                    topic: gateways/gw-01/<deviceId>/<#>
                  - name: tagged
                    from: tagged/<deviceId>/<kind>
                    sink: hub
                    topic: tagged
                    properties: { device: <deviceId>, kind: <kind> }
                """.formatted(dir.resolve("data"), localPort, AzureFixture.hubSink(hub, pki).stripTrailing()));
        deadLetters = new Recorder(localPort, "dead-letter-recorder", "edgebridge/dead-letter/#");
    }

    @AfterAll
    void stop() {
        Closer.closeAll(deadLetters, bridge, hub, logs);
    }

    private PoisonRun row(String fault) {
        return PoisonRun.of(fault, LOCAL, "azure-iot-hub", bridge, localPort, logs).destination(hub::received)
                .traffic(200, i -> "sensors/dev" + (i % 4) + "/temp");
    }

    /** Issue 14's finding-2 message: its properties (the target and source topics) go in the MQTT topic. */
    @Test
    void aTopicTooLongAfterRendering_isDeadLettered() throws Exception {
        row("poison: topic too long after rendering (finding 2: sensors/d1/ + 65,524 x a)")
                .poison("sensors/d1/" + "a".repeat(65_524), "poison-finding-2")
                .run().record();
        assertThat(reason("poison-finding-2")).contains("MQTT topic of up to").contains("65535");
    }

    @Test
    void aMessageOverIotHubsLimit_isDeadLettered() throws Exception {
        String big = "poison-300kb-" + "x".repeat(300 * 1024);
        row("poison: over IoT Hub's 256 KB (body and properties)")
                .poison("sensors/dev1/temp", big)
                .run().record();
        assertThat(reason(big)).contains("256 KB");
    }

    @Test
    void aPropertyValueOutsideUsAscii_isDelivered() throws Exception {
        row("poison: property value outside US-ASCII (device id dév😀)")
                .poison("tagged/dév😀/temp", "poison-non-ascii")
                .expect(PoisonRun.Expect.DELIVERED)
                .run().record();
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
