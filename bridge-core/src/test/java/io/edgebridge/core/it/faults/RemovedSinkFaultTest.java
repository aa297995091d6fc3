package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sink removed by a reload releases the spool at once: what it had not delivered is counted as
 * {@code dropped{reason=sink-removed}}, and a {@code refuse-new} spool that it had filled takes new
 * messages again instead of refusing them until a restart.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RemovedSinkFaultTest {

    private static final int KB = 1024;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String config(LocalSetup.Instance local, int deadPort, boolean withStuck) {
        return local.yaml() + """
                dataDir: %s
                stats: { logInterval: 0 }
                reload: { watch: false }
                spool: { maxBytes: 2MB, whenFull: refuse-new }
                sinks:
                  out: { type: file, path: %s }
                """.formatted(dir.resolve("data"), dir.resolve("out.jsonl")) + (withStuck ? """
                  stuck: { type: mqtt, uri: "mqtt://127.0.0.1:%d", required: false }
                """.formatted(deadPort) : "") + """
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/data
                    to:
                      - { sink: out, topic: "out/<deviceId>" }
                """ + (withStuck ? """
                      - { sink: stuck, topic: "stuck/<deviceId>" }
                """ : "");
    }

    private static String payload(int i) {
        return "x".repeat(KB - 8) + String.format("%08d", i);
    }

    @Test
    void sinkRemovedWithABacklog_spoolAcceptsAgainAtOnce_andTheBacklogIsCounted() throws Exception {
        int dead = Ports.free();
        var setup = LocalSetup.EMBEDDED_EXTENSION;
        try (var local = setup.start(dir);
                var bridge = TestBridge.start(dir.resolve("bridge"), config(local, dead, true));
                var devices = new Publisher(local.port(), 20);
                var logs = LogCapture.start()) {
            // 1,200 KB held for the stuck sink (the file sink has them all).
            int held = 1200;
            for (int i = 0; i < held; i++) {
                devices.publish("sensors/dev" + (i % 20) + "/data", payload(i));
            }
            devices.drain(30, TimeUnit.SECONDS);
            assertThat(devices.failed()).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.bridge().spool().entryCount() == held);

            long reloadedAt = System.nanoTime();
            bridge.reload(config(local, dead, false));
            assertThat(bridge.count("edgebridge.messages.dropped", "sink", "stuck", "reason", "sink-removed"))
                    .as("the removed sink's undelivered messages are counted").isEqualTo(held);
            await("the spool is released").atMost(Duration.ofSeconds(5))
                    .until(() -> bridge.bridge().spool().bytes() < 256L * KB);
            Duration recovery = Duration.ofNanos(System.nanoTime() - reloadedAt);

            // 3 MB more, at about 1,000 msg/s: more than the 2 MB the spool may hold, but the file sink keeps up.
            int more = 3000;
            long start = System.nanoTime();
            for (int i = held; i < held + more; i++) {
                long due = start + (i - held) * 1_000_000L;
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                devices.publish("sensors/dev" + (i % 20) + "/data", payload(i)).exceptionally(e -> null);
            }
            devices.drain(30, TimeUnit.SECONDS);
            assertThat(bridge.count("edgebridge.messages.dropped", "reason", "refused"))
                    .as("refusals after the removal").isZero();
            assertThat(devices.failed()).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> lines(dir.resolve("out.jsonl")) == held + more);
            new FaultRow("reload: sink with a backlog removed from a full refuse-new spool", "embedded/extension",
                    "file", held + more, lines(dir.resolve("out.jsonl")), 0, 0, recovery, logs.count())
                    .record().assertAccounted(0).assertLogLinesAtMost(5);
        }
    }

    private static long lines(Path file) throws Exception {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var stream = Files.lines(file)) {
            return stream.count();
        }
    }
}
