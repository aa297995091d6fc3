package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * An external Mosquitto keeps what devices publish for the bridge's persistent session while the
 * bridge restarts, within its own queue limits. With the shipped {@code deploy/mosquitto/edgebridge.conf}
 * nothing is lost; with Mosquitto's defaults ({@code max_queued_messages 1000}) the messages beyond
 * 1,000 are dropped by Mosquitto, which the bridge cannot prevent but reports: it reads Mosquitto's
 * drop count from {@code $SYS} and warns.
 *
 * <p>The brokers run like the Debian package's (persistence on, {@code include_dir} for drop-ins),
 * with {@code sys_interval 1} instead of 10 so the test does not wait for {@code $SYS} updates.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MosquittoBridgeRestartFaultTest {

    private static final Path SHIPPED = Path.of("..", "deploy", "mosquitto", "edgebridge.conf");
    private static final int CONNECTIONS = 2;
    private static final int BEFORE = 150;
    /** Published while the bridge stops. */
    private static final int STOPPING = 300;
    /** Published while the bridge is away: 1,400 in all, more than Mosquitto's default queue of 1,000. */
    private static final int AWAY = 700;
    private static final int AFTER = 150;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void shippedConfig_bridgeRestartedWhileDevicesPublish_losesNothing() throws Exception {
        Path dropIns = Files.createDirectories(dir.resolve("conf.d"));
        Files.copy(SHIPPED, dropIns.resolve("edgebridge.conf"));
        try (Mosquitto local = new Mosquitto(dir.resolve("mosquitto"))
                .withSettings("persistence true\nsys_interval 1\ninclude_dir " + dropIns.toAbsolutePath()).start();
                LogCapture logs = LogCapture.start()) {
            Outcome outcome = restartWhilePublishing(local);

            new FaultRow("bridge restarted while devices publish", "mosquitto (deploy/mosquitto/edgebridge.conf)",
                    "file", outcome.acknowledged, outcome.delivered, outcome.counted, outcome.duplicates,
                    outcome.recovery, logs.count())
                    .record()
                    .assertAccounted(1_000)
                    .assertLogLinesAtMost(5);
            assertThat(logs.count(e -> e.getLoggerName().endsWith("BrokerCheck"))).as("no drop warning").isZero();
        }
    }

    @Test
    void mosquittoDefaults_bridgeRestartedWhileDevicesPublish_theLossIsWarnedAbout() throws Exception {
        try (Mosquitto local = new Mosquitto(dir.resolve("mosquitto"))
                .withSettings("persistence true\nsys_interval 1").start();
                LogCapture logs = LogCapture.start()) {
            Outcome outcome = restartWhilePublishing(local);

            await("the bridge's warning about Mosquitto's drops").atMost(Duration.ofSeconds(10))
                    .until(() -> logs.count(e -> e.getLevel() == Level.WARN
                            && e.getLoggerName().endsWith("BrokerCheck")
                            && e.getFormattedMessage().contains("max_queued_messages")) > 0);
            FaultRow row = new FaultRow("bridge restarted while devices publish", "mosquitto (defaults)", "file",
                    outcome.acknowledged, outcome.delivered, outcome.counted, outcome.duplicates, outcome.recovery,
                    logs.count()).record();
            // Mosquitto dropped what it queued beyond 1,000 for the away bridge: lost, and said so.
            assertThat(row.lost()).as("lost by Mosquitto's default queue limit").isGreaterThan(0);
            assertThat(outcome.brokerDropped).as("Mosquitto's own count, read by the bridge").isGreaterThan(0);
            row.assertLogLinesAtMost(5);
        }
    }

    private record Outcome(long acknowledged, long delivered, long counted, long duplicates, Duration recovery,
            double brokerDropped) {
    }

    /**
     * Devices publish before the bridge stops, while it stops, while it is away and after it is back;
     * the bridge stays away until Mosquitto acknowledged all of the batch published meanwhile.
     */
    private Outcome restartWhilePublishing(Mosquitto local) throws Exception {
        String yaml = """
                dataDir: %s
                stats: { logInterval: 0 }
                local:
                  broker: %s
                  clientId: edgebridge-restart
                  reconnect: { min: 100ms, max: 1s }
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/telemetry
                    sink: out
                    topic: cloud/<deviceId>
                """.formatted(dir.resolve("data"), local.uri(), dir.resolve("out.jsonl"));
        FileSinkOutput out = new FileSinkOutput(dir.resolve("out.jsonl"));
        try (ReconnectingDevices devices = new ReconnectingDevices(local.port(), CONNECTIONS, 100);
                TestBridge first = TestBridge.start(dir, yaml)) {
            devices.start("b", BEFORE).get(60, TimeUnit.SECONDS);
            CompletableFuture<Void> stopping = devices.start("s", STOPPING);
            first.close(); // idempotent; the devices publish on, to Mosquitto
            long counted = dropped(first);
            stopping.get(60, TimeUnit.SECONDS);
            devices.start("w", AWAY).get(60, TimeUnit.SECONDS);
            long restarting = System.nanoTime();
            try (TestBridge second = TestBridge.start(dir, yaml)) {
                Duration recovery = Duration.ofNanos(System.nanoTime() - restarting);
                devices.start("a", AFTER).get(60, TimeUnit.SECONDS);
                Set<String> acknowledged = devices.acknowledged();
                out.awaitSettled(acknowledged.size(), () -> counted + dropped(second));
                long delivered = out.delivered(acknowledged);
                var dropGauge = second.registry().find("edgebridge.local.broker.dropped").gauge();
                double brokerDropped = dropGauge == null ? Double.NaN : dropGauge.value();
                System.out.printf("restart mosquitto: acknowledged %d, delivered %d, duplicates %d, counted %d,"
                                + " Mosquitto dropped %.0f, recovery %d ms%n", acknowledged.size(), delivered,
                        out.duplicates(), counted + dropped(second), brokerDropped, recovery.toMillis());
                assertThat(acknowledged).hasSize(CONNECTIONS * (BEFORE + STOPPING + AWAY + AFTER));
                return new Outcome(acknowledged.size(), delivered, counted + dropped(second), out.duplicates(),
                        recovery, brokerDropped);
            }
        }
    }

    private static long dropped(TestBridge bridge) {
        return (long) bridge.count("edgebridge.messages.dropped", "direction", "upstream");
    }
}
