package io.edgebridge.aws;

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
import io.edgebridge.core.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault row: the local broker (Mosquitto) is down while {@link IotCoreStandIn} sends commands, and the
 * sink's mutual-TLS connection (through a {@link TcpProxy}) drops twice meanwhile; each reconnect
 * resumes the session and the cloud redelivers every unacknowledged command. Before the fix each
 * redelivery queued one more local publish (three copies of every command); now the deliveries of the
 * earlier connections are given up when the session resumes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AwsDownstreamOutageFaultTest {

    private static final int COMMANDS = 100;
    private static final int CLOUD_RECONNECTS = 2;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void localBrokerDown_cloudSessionResumedTwice_everyCommandArrivesAtMostTwice_readyAgain() throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "test-iot-ca");
        TestCertificates.Issued device = pki.client("gateway-1");
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), pki.server("iot-endpoint"), pki).start();
                var link = new TcpProxy(cloud.tlsPort()).restore();
                var devices = new Recorder(local.port(), "devices", "devices/+/commands");
                var bridge = TestBridge.start(dir.resolve("bridge"), """
                        dataDir: %s
                        stats: { logInterval: 0 }
                        local:
                          broker: %s
                          clientId: edgebridge-fault
                          reconnect: { min: 100ms, max: 500ms }
                        sinks:
                        %s
                        routes:
                          - name: commands
                            direction: downstream
                            from: { sink: aws, topic: commands/<deviceId> }
                            to: devices/<deviceId>/commands
                        """.formatted(dir.resolve("data"), local.uri(), AwsSinkYaml.sink(port(link), device.certificate(),
                        device.privateKey(), pki.caCertificate(), "reconnect: { min: 100ms, max: 500ms }")));
                var operator = new Publisher(cloud.plainPort(), 100)) {
            AdminClient admin = new AdminClient(bridge.adminPort());
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
                operator.publish("commands/dev0", "warm-up");
                return devices.received("warm-up");
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> admin.ready() == 200);

            try (LogCapture logs = LogCapture.start()) {
                local.stop();
                double before = bridge.downstreamHandedOver();
                List<String> sent = new ArrayList<>();
                for (int i = 0; i < COMMANDS; i++) {
                    String payload = "command-" + i;
                    operator.publish("commands/dev" + (i % 10), payload);
                    sent.add(payload);
                }
                operator.drain(30, TimeUnit.SECONDS);
                // The broker sends as many as its in-flight window for the session allows, then waits
                // for acknowledgements that cannot come while the local broker is away.
                AtomicLong handed = new AtomicLong(-1);
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(20)).until(() -> {
                    long now = (long) bridge.downstreamHandedOver();
                    return handed.getAndSet(now) == now && now > before;
                });
                long window = (long) (bridge.downstreamHandedOver() - before);
                for (int cut = 1; cut <= CLOUD_RECONNECTS; cut++) {
                    link.cut();
                    await().atMost(Duration.ofSeconds(10)).until(() -> !bridge.sinkConnected("aws"));
                    link.restore();
                    double expected = before + window * (cut + 1L);
                    // The resumed session redelivers every command it had sent and not had acknowledged.
                    await().atMost(Duration.ofSeconds(30)).until(() -> bridge.downstreamHandedOver() >= expected);
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
                FaultRow row = new FaultRow("downstream: local broker down, cloud session resumed "
                        + CLOUD_RECONNECTS + " times, " + COMMANDS + " commands", "mosquitto", "aws-iot-core",
                        sent.size(), copies.distinct(),
                        (long) bridge.count("edgebridge.messages.dropped", "direction", "downstream"), duplicates,
                        recovery, logs.count()).record();
                assertThat(devices.missing(sent)).isEmpty();
                assertThat(maxCopies).as("local copies of one command (each was redelivered %d times)",
                        CLOUD_RECONNECTS).isLessThanOrEqualTo(2);
                row.assertAccounted(COMMANDS / 10).assertLogLinesAtMost(40);
            }
        }
    }

    private static int port(TcpProxy proxy) {
        String uri = proxy.uri();
        return Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
    }
}
