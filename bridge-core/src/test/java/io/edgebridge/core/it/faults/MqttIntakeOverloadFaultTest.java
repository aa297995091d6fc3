package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding 11 of issue 14: with {@code intake: mqtt} the embedded broker acknowledges a device's
 * publish as soon as it has queued it for the bridge's session, so devices publishing faster than the
 * bridge spools used to overflow that queue, and HiveMQ discarded the overflow without a word (82,050
 * of 100,000 in the issue). Every message a device got a PUBACK for must reach the sink or be counted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MqttIntakeOverloadFaultTest {

    private static final int CONNECTIONS = 4;
    private static final int PER_CONNECTION = 750;
    private static final int PAYLOAD = 16_384;
    /** The intake backlog's byte bound in messages of {@link #PAYLOAD} bytes. */
    private static final int BOUND = (32 << 20) / PAYLOAD;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void fourConnectionsAtFullSpeed_everyAcknowledgedMessageIsDeliveredOrCounted() throws Exception {
        int port = Ports.free();
        String yaml = """
                dataDir: %s
                stats: { logInterval: 0 }
                local:
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory, intake: mqtt, maxQueueSize: 1000 }
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/telemetry
                    sink: out
                    topic: cloud/<deviceId>
                """.formatted(dir.resolve("data"), port, dir.resolve("out.jsonl"));
        FileSinkOutput out = new FileSinkOutput(dir.resolve("out.jsonl"));
        try (LogCapture logs = LogCapture.start(); TestBridge bridge = TestBridge.start(dir, yaml);
                DeviceFleet devices = new DeviceFleet(port, CONNECTIONS, 1_000, "o", PAYLOAD)) {
            long began = System.nanoTime();
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> devices.publish(PER_CONNECTION,
                    "sensors/dev"));
            AtomicLong maxBacklog = new AtomicLong();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
                maxBacklog.accumulateAndGet((long) gauge(bridge, "edgebridge.local.intake.backlog"), Math::max);
                return publishing.isDone();
            });
            publishing.join();
            long published = System.nanoTime();
            Set<String> acknowledged = devices.acknowledged();

            Duration recovery = out.awaitSettled(acknowledged.size(),
                    () -> (long) bridge.count("edgebridge.messages.dropped", "direction", "upstream"));
            long settled = System.nanoTime();
            Map<String, Integer> delivered = out.counts();
            long deliveredAcknowledged = acknowledged.stream().filter(delivered::containsKey).count();
            long duplicates = delivered.values().stream().mapToLong(n -> n - 1).sum();
            long counted = (long) bridge.count("edgebridge.messages.dropped", "direction", "upstream");
            System.out.printf("overload embedded/mqtt: acknowledged %d (refused %d) in %d ms = %.0f msg/s acknowledged;"
                            + " delivered %d, %.0f msg/s end to end; counted %d; largest intake backlog %d%n",
                    acknowledged.size(), devices.failed(), TimeUnit.NANOSECONDS.toMillis(published - began),
                    acknowledged.size() * 1e9 / (published - began), deliveredAcknowledged,
                    deliveredAcknowledged * 1e9 / (settled - began), counted, maxBacklog.get());

            assertThat(acknowledged.size()).as("devices acknowledged").isGreaterThan(CONNECTIONS * PER_CONNECTION / 2);
            new FaultRow("overload: 4 connections publish 3,000 QoS 1 messages (16 KiB) at full speed", "embedded/mqtt", "file",
                    acknowledged.size(), deliveredAcknowledged, counted, duplicates, recovery, logs.count())
                    .record()
                    .assertAccounted(0)
                    .assertLogLinesAtMost(5);
            // The devices outran the bridge and were held at the bound (plus one publish per connection).
            assertThat(maxBacklog.get()).as("largest intake backlog").isBetween((long) BOUND / 2,
                    (long) BOUND + CONNECTIONS);
        }
    }

    private static double gauge(TestBridge bridge, String name) {
        var gauge = bridge.registry().find(name).gauge();
        return gauge == null ? 0 : gauge.value();
    }
}
