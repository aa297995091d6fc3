package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault row: the local broker (Mosquitto) is down while {@link IotHubStandIn} sends cloud-to-device
 * messages, each waiting {@code c2dTimeout} (1 s) before the callback gives up. Over MQTT the SDK
 * acknowledges an abandoned message (IoT Hub does not redeliver it), so the bridge must keep its local
 * publish rather than withdraw it: every command arrives once when the broker is back, none is lost.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AzureDownstreamOutageFaultTest {

    private static final int COMMANDS = 5;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void localBrokerDownForSeveralC2dTimeouts_everyCommandArrivesOnce_readyAgain() throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "test-hub-ca");
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var hub = new IotHubStandIn(dir.resolve("hub"), pki).start();
                var devices = new Recorder(local.port(), "devices", "devices/+/commands");
                var bridge = TestBridge.start(dir.resolve("bridge"), AzureFixture.head(dir.resolve("data"),
                        local.port(), "edgebridge-fault") + "sinks:\n" + AzureFixture.hubSink(hub, pki) + """
                            c2dTimeout: 1s
                        routes:
                          - name: commands
                            direction: downstream
                            from: { sink: hub, topic: c2d/<deviceId> }
                            to: devices/<deviceId>/commands
                        """)) {
            AdminClient admin = new AdminClient(bridge.adminPort());
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                hub.sendCloudToDevice("gateway-1", Map.of("deviceId", "probe"), "warm-up");
                return devices.received("warm-up");
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> admin.ready() == 200);

            try (LogCapture logs = LogCapture.start()) {
                local.stop();
                double abandonedBefore = bridge.count("edgebridge.azure.c2d", "sink", "hub", "result", "abandoned");
                List<String> sent = new ArrayList<>();
                for (int i = 0; i < COMMANDS; i++) {
                    String payload = "command-" + i;
                    hub.sendCloudToDevice("gateway-1", Map.of("deviceId", "dev" + i, "$.mid", "m-" + i), payload);
                    sent.add(payload);
                }
                // Each callback waits c2dTimeout, then abandons (which, over MQTT, acknowledges the message).
                await().atMost(Duration.ofSeconds(30)).until(() -> bridge.count("edgebridge.azure.c2d", "sink", "hub",
                        "result", "abandoned") >= abandonedBefore + COMMANDS);

                long backAt = System.nanoTime();
                local.start();
                devices.awaitDistinct(COMMANDS + 1, Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(20)).until(() -> admin.ready() == 200);
                Duration recovery = Duration.ofNanos(System.nanoTime() - backAt);
                devices.awaitQuiet(Duration.ofSeconds(2), Duration.ofSeconds(30));

                Recorder.Copies copies = devices.copies(p -> p.startsWith("command-"));
                long duplicates = copies.duplicates();
                FaultRow row = new FaultRow("downstream: local broker down for " + COMMANDS + " c2dTimeouts (1 s), "
                        + COMMANDS + " commands", "mosquitto", "azure-iot-hub", sent.size(), copies.distinct(),
                        (long) bridge.count("edgebridge.messages.dropped", "direction", "downstream"), duplicates,
                        recovery, logs.count()).record();
                assertThat(devices.missing(sent)).as("abandoned (acknowledged) commands must not be lost").isEmpty();
                assertThat(copies.max()).isEqualTo(1);
                row.assertAccounted(0).assertLogLinesAtMost(20);
            }
        }
    }
}
