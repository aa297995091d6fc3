package io.edgebridge.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.ConfigLoader;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Ports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** What the reloader tells an operator when a file of the running configuration disappears. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ConfigReloaderFilesTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void fileOfADirectoryConfigDeleted_isNamedInAWarning_andTheRestIsApplied() throws Exception {
        Path conf = Files.createDirectories(dir.resolve("conf.d"));
        Files.writeString(conf.resolve("10-base.yaml"), """
                dataDir: %s
                stats: { logInterval: 0 }
                reload: { watch: true, interval: 100ms }
                admin: { enabled: false }
                local:
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory }
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - { name: telemetry, from: "sensors/<deviceId>/data", sink: out, topic: "out/<deviceId>" }
                """.formatted(dir.resolve("data"), Ports.free(), dir.resolve("out.jsonl")));
        Path extra = conf.resolve("20-audit.yaml");
        Files.writeString(extra, """
                sinks:
                  audit: { type: file, path: %s }
                """.formatted(dir.resolve("audit.jsonl")));
        ConfigLoader loader = new ConfigLoader(SinkFactories.load());
        Bridge bridge = new Bridge(loader.load(conf), SinkFactories.load(), new SimpleMeterRegistry());
        bridge.start();
        try (var reloader = new ConfigReloader(bridge, loader, conf).start(); var logs = LogCapture.start()) {
            Files.delete(extra);

            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.configVersion() == 2);
            assertThat(logs.lines()).anyMatch(l -> l.contains("configuration file " + extra + " of running version 1"
                    + " no longer exists"));
            assertThat(bridge.sinks()).containsOnlyKeys("out");
        } finally {
            bridge.stop();
        }
    }
}
