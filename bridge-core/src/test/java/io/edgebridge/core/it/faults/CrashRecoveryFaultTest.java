package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.testing.BridgeProcess;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * EdgeBridge as its own JVM, SIGKILLed in the middle of a stream and started again: every message
 * a device got a PUBACK for reaches the cloud.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CrashRecoveryFaultTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // kept for diagnosis when a test fails
    Path dir;

    @ParameterizedTest
    @EnumSource(value = LocalSetup.class, names = {"EMBEDDED_EXTENSION", "EXTERNAL_MOSQUITTO"})
    void sigkillMidStream_thenRestart_losesNothingThatWasAcknowledged(LocalSetup setup) throws Exception {
        try (var local = setup.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#")) {
            Path config = dir.resolve("edgebridge.yaml");
            Files.writeString(config, local.yaml() + """
                    dataDir: %s
                    stats: { logInterval: 1s }
                    """.formatted(dir.resolve("data")) + Configs.mqttCloudSink(cloud.port()) + """
                    routes:
                      - name: telemetry
                        from: sensors/<deviceId>/telemetry
                        sink: cloud
                        topic: cloud/<deviceId>/data
                    """);
            Path log = dir.resolve("bridge.log");
            Set<String> acknowledged = new HashSet<>();

            try (var bridge = new BridgeProcess(config, log, "-Xmx256m").start().awaitStarted(Duration.ofSeconds(60));
                    var devices = new Publisher(local.port(), 200)) {
                for (int i = 0; i < 6000; i++) {
                    devices.publish("sensors/dev" + (i % 100) + "/telemetry", "a" + i);
                    if (i == 4000) {
                        bridge.kill(); // mid-stream: up to 200 publishes are in flight
                        break;
                    }
                }
                if (setup == LocalSetup.EXTERNAL_MOSQUITTO) {
                    // The local broker is still up: devices keep publishing while the bridge is dead.
                    for (int i = 4001; i < 6000; i++) {
                        devices.publish("sensors/dev" + (i % 100) + "/telemetry", "a" + i);
                    }
                }
                devices.drainQuietly(30, TimeUnit.SECONDS);
                acknowledged.addAll(devices.ackedPayloads());
            }
            assertThat(acknowledged.size()).isGreaterThan(1000);

            long restarting = System.nanoTime();
            try (var bridge = new BridgeProcess(config, log, "-Xmx256m").start().awaitStarted(Duration.ofSeconds(60));
                    var devices = new Publisher(local.port(), 200)) {
                Duration recovery = Duration.ofNanos(System.nanoTime() - restarting);
                for (int i = 0; i < 1000; i++) {
                    devices.publish("sensors/dev" + (i % 100) + "/telemetry", "b" + i);
                }
                devices.drain(30, TimeUnit.SECONDS);
                acknowledged.addAll(devices.ackedPayloads());

                recorder.awaitDistinct(acknowledged.size(), Duration.ofSeconds(120));
                assertThat(recorder.missing(List.copyOf(acknowledged))).isEmpty();
                long logLines = bridge.warnAndErrorLines();
                assertThat(bridge.terminate(Duration.ofSeconds(30))).as("exit code after SIGTERM").isZero();
                long delivered = acknowledged.stream().filter(recorder::received).count();
                new FaultRow("SIGKILL mid-stream, then restart", setup == LocalSetup.EXTERNAL_MOSQUITTO ? "mosquitto"
                        : "embedded/extension", "mqtt", acknowledged.size(), delivered, 0, recorder.duplicates(),
                        recovery, logLines).record().assertAccounted(acknowledged.size());
            }
        }
    }
}
