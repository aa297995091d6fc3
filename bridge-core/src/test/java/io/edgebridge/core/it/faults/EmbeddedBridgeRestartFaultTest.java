package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bridge (and with it the embedded broker) is stopped and started again while devices publish:
 * the devices lose their connection, reconnect and go on. Every message a device got a PUBACK for
 * reaches the sink. With {@code intake: mqtt} that includes what the broker had queued for the
 * bridge when the stop began (the stop refuses new publishes and lets the bridge take those first;
 * the broker runs in memory here, so nothing is kept for later).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedBridgeRestartFaultTest {

    private static final int CONNECTIONS = 2;
    /** Published from before the stop until the devices are refused or cut off by it. */
    private static final int DURING = 1_000;
    /** Published once the bridge is back. */
    private static final int AFTER = 250;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @ParameterizedTest(name = "intake: {0}")
    @ValueSource(strings = {"extension", "mqtt"})
    void bridgeRestartedWhileDevicesPublish_everyAcknowledgedMessageIsDelivered(String intake) throws Exception {
        int port = Ports.free();
        String yaml = """
                dataDir: %s
                stats: { logInterval: 0 }
                local:
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory, intake: %s }
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/telemetry
                    sink: out
                    topic: cloud/<deviceId>
                """.formatted(dir.resolve("data"), port, intake, dir.resolve("out.jsonl"));
        FileSinkOutput out = new FileSinkOutput(dir.resolve("out.jsonl"));
        try (LogCapture logs = LogCapture.start(); TestBridge first = TestBridge.start(dir, yaml)) {
            long countedBefore;
            Duration recovery;
            try (ReconnectingDevices devices = new ReconnectingDevices(port, CONNECTIONS, 100)) {
                CompletableFuture<Void> publishing = devices.start("r", DURING);
                await().atMost(Duration.ofSeconds(30)).until(() -> devices.acknowledgedCount() >= 600);

                first.close(); // idempotent; devices go on publishing into a broker that stops, then is gone
                countedBefore = dropped(first);
                long restarting = System.nanoTime();
                try (TestBridge second = TestBridge.start(dir, yaml)) {
                    recovery = Duration.ofNanos(System.nanoTime() - restarting);
                    publishing.get(60, TimeUnit.SECONDS);
                    devices.awaitConnected(Duration.ofSeconds(30));
                    devices.start("s", AFTER).get(60, TimeUnit.SECONDS);
                    Set<String> acknowledged = devices.acknowledged();
                    out.awaitSettled(acknowledged.size(), () -> countedBefore + dropped(second));

                    long delivered = out.delivered(acknowledged);
                    System.out.printf("restart embedded/%s: acknowledged %d, not acknowledged %d, delivered %d,"
                                    + " duplicates %d, counted %d, recovery %d ms%n", intake, acknowledged.size(),
                            devices.failed(), delivered, out.duplicates(), countedBefore + dropped(second),
                            recovery.toMillis());
                    assertThat(acknowledged).as("acknowledged before the stop").hasSizeGreaterThanOrEqualTo(600);
                    assertThat(acknowledged.stream().filter(p -> p.startsWith("s")))
                            .as("acknowledged once the bridge is back and the devices reconnected")
                            .hasSize(AFTER * CONNECTIONS);
                    new FaultRow("bridge restarted while devices publish", "embedded/" + intake, "file",
                            acknowledged.size(), delivered, countedBefore + dropped(second), out.duplicates(), recovery,
                            logs.count())
                            .record()
                            .assertAccounted(200)
                            .assertLogLinesAtMost(10);
                }
            }
        }
    }

    private static long dropped(TestBridge bridge) {
        return (long) bridge.count("edgebridge.messages.dropped", "direction", "upstream");
    }
}
