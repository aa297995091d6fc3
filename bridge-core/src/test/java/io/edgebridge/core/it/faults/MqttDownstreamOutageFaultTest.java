package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TcpProxy;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault row: the local broker (an external Mosquitto) is down while an {@code mqtt} sink's cloud
 * broker sends commands, and the sink's cloud connection drops and resumes its session three times
 * meanwhile, so the cloud redelivers every unacknowledged command three times. Before the fix each
 * redelivery queued one more local publish: every command arrived four times once the local broker
 * was back. Now a redelivery joins the delivery waiting for the local broker (its session key names it).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MqttDownstreamOutageFaultTest {

    private static final int COMMANDS = 200;
    private static final int CLOUD_RECONNECTS = 3;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void localBrokerDown_cloudRedeliversThreeTimes_everyCommandArrivesOnce_readyAgain() throws Exception {
        try (Mosquitto local = new Mosquitto(dir.resolve("local")).start();
                Mosquitto cloud = new Mosquitto(dir.resolve("cloud")).start();
                TcpProxy link = new TcpProxy(cloud.port()).restore();
                Recorder devices = new Recorder(local.port(), "devices", "devices/+/commands");
                TestBridge bridge = TestBridge.start(dir.resolve("bridge"), """
                        dataDir: %s
                        stats: { logInterval: 0 }
                        local:
                          broker: %s
                          clientId: edgebridge-fault
                          reconnect: { min: 100ms, max: 500ms }
                        sinks:
                          cloud:
                            type: mqtt
                            uri: %s
                            reconnect: { min: 100ms, max: 500ms }
                        routes:
                          - name: commands
                            direction: downstream
                            from: { sink: cloud, topic: commands/<deviceId> }
                            to: devices/<deviceId>/commands
                        """.formatted(dir.resolve("data"), local.uri(), link.uri()));
                Publisher operator = new Publisher(cloud.port(), 100)) {
            AdminClient admin = new AdminClient(bridge.adminPort());
            // The downstream subscription is in place once a first command went through.
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                operator.publish("commands/dev0", "warm-up");
                return devices.received("warm-up");
            });
            // Every poll above published a warm-up: let the last of them arrive before taking the baseline.
            java.util.concurrent.atomic.AtomicReference<Double> last = new java.util.concurrent.atomic.AtomicReference<>(-1.0);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10))
                    .until(() -> {
                        double now = bridge.downstreamHandedOver();
                        return last.getAndSet(now) == now;
                    });
            double handedOver = bridge.downstreamHandedOver();
            double receivedBefore = bridge.count("edgebridge.messages.received", "direction", "downstream");

            try (LogCapture logs = LogCapture.start()) {
                local.stop();
                List<String> sent = new ArrayList<>();
                for (int i = 0; i < COMMANDS; i++) {
                    String payload = "command-" + i;
                    operator.publish("commands/dev" + (i % 10), payload);
                    sent.add(payload);
                }
                operator.drain(30, TimeUnit.SECONDS);
                double before = handedOver;
                await().atMost(Duration.ofSeconds(20)).until(() -> bridge.downstreamHandedOver() >= before + COMMANDS);
                for (int cut = 1; cut <= CLOUD_RECONNECTS; cut++) {
                    link.cut();
                    await().atMost(Duration.ofSeconds(10)).until(() -> !bridge.sinkConnected("cloud"));
                    link.restore();
                    double expected = before + COMMANDS * (cut + 1L);
                    // The resumed session redelivers every unacknowledged command.
                    await().atMost(Duration.ofSeconds(20)).until(() -> bridge.downstreamHandedOver() >= expected);
                }

                long backAt = System.nanoTime();
                local.start();
                devices.awaitDistinct(COMMANDS + 1, Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(20)).until(() -> admin.ready() == 200);
                Duration recovery = Duration.ofNanos(System.nanoTime() - backAt);
                devices.awaitQuiet(Duration.ofSeconds(2), Duration.ofSeconds(30));

                Recorder.Copies copies = devices.copies(p -> p.startsWith("command-"));
                long maxCopies = copies.max();
                long duplicates = copies.duplicates();
                FaultRow row = new FaultRow("downstream: local broker down, cloud session resumed 3 times, "
                        + COMMANDS + " commands", "mosquitto", "mqtt", sent.size(), copies.distinct(),
                        (long) bridge.count("edgebridge.messages.dropped", "direction", "downstream"), duplicates,
                        recovery, logs.count()).record();
                assertThat(devices.missing(sent)).isEmpty();
                assertThat(maxCopies).as("local copies of one command (each was redelivered %d times)",
                        CLOUD_RECONNECTS).isLessThanOrEqualTo(2);
                row.assertAccounted(COMMANDS / 20).assertLogLinesAtMost(40);
                assertThat(bridge.count("edgebridge.messages.received", "direction", "downstream"))
                        .as("received counts each command once").isEqualTo(receivedBefore + COMMANDS);
            }
        }
    }
}
