package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.BridgeProcess;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.Publisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgebridge run} reloads on SIGHUP and on a change of its file, like an operator would use it. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReloadSignalIntegrationTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String config(int port, boolean watch, String topic) {
        return """
                local:
                  broker: embedded
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory }
                dataDir: %s
                stats: { logInterval: 0 }
                reload: { watch: %s, interval: 200ms }
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/data
                    sink: out
                    topic: %s
                """.formatted(port, dir.resolve("data"), watch, dir.resolve("out.jsonl"), topic);
    }

    private String output() throws Exception {
        Path out = dir.resolve("out.jsonl");
        return Files.exists(out) ? Files.readString(out) : "";
    }

    @Test
    void sighupAndFileChanges_reloadTheRunningDaemon() throws Exception {
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir)) {
            Path config = dir.resolve("edgebridge.yaml");
            Files.writeString(config, config(local.port(), false, "first/<deviceId>"));
            try (var bridge = new BridgeProcess(config, dir.resolve("bridge.log"), "-Xmx256m").start()
                    .awaitStarted(Duration.ofSeconds(60));
                    var devices = new Publisher(local.port(), 10)) {
                devices.publish("sensors/a/data", "one").join();
                await().atMost(Duration.ofSeconds(20)).until(() -> output().contains("first/a"));

                // watch is off: only SIGHUP applies the change.
                Files.writeString(config, config(local.port(), true, "second/<deviceId>"));
                await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)) // three watch intervals
                        .untilAsserted(() -> assertThat(bridge.logText()).doesNotContain("configuration version 2 active"));
                new ProcessBuilder("kill", "-HUP", Long.toString(bridge.pid())).start().waitFor(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> bridge.logText().contains("configuration version 2 active"));
                devices.publish("sensors/a/data", "two").join();
                await().atMost(Duration.ofSeconds(20)).until(() -> output().contains("second/a"));
                assertThat(bridge.isAlive()).isTrue();

                // A SIGHUP with nothing changed applies nothing.
                new ProcessBuilder("kill", "-HUP", Long.toString(bridge.pid())).start().waitFor(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> bridge.logText().contains("configuration unchanged; still running version 2"));

                // Version 2 turned the watch on: a saved file is enough now.
                Files.writeString(config, config(local.port(), true, "third/<deviceId>"));
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> bridge.logText().contains("configuration version 3 active"));
                devices.publish("sensors/a/data", "three").join();
                await().atMost(Duration.ofSeconds(20)).until(() -> output().contains("third/a"));
                assertThat(bridge.terminate(Duration.ofSeconds(30))).isZero();
            }
        }
    }
}
