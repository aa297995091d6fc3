package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.edgebridge.core.testing.BridgeProcess;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** The spool under a sink outage: limits, drops with exact counts, and memory that does not grow. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SpoolLimitsIntegrationTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // kept for diagnosis when a test fails
    Path dir;

    private String config(LocalSetup.Instance local, int cloudPort, String spool) {
        return local.yaml() + """
                dataDir: %s
                stats: { logInterval: 1s }
                spool: %s
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    reconnect: { min: 100ms, max: 500ms }
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/telemetry
                    sink: cloud
                    topic: cloud/<deviceId>/data
                """.formatted(dir.resolve("data"), spool, cloudPort);
    }

    private static String payload(int i) {
        return "m" + i + ":" + "x".repeat(100);
    }

    /** A cloud broker that already holds the recorder's persistent session, then goes down. */
    private Mosquitto cloudWithRecorderSession(int port) {
        Mosquitto cloud = new Mosquitto(dir.resolve("cloud"), port).start();
        new Recorder(port, "recorder", "cloud/#").close();
        cloud.stop();
        return cloud;
    }

    @Test
    void dropOldest_keepsTheNewestWithinMaxBytes_andCountsEveryDrop() throws Exception {
        int cloudPort = Ports.free();
        Mosquitto cloud = cloudWithRecorderSession(cloudPort); // down while the devices publish
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var bridge = TestBridge.start(dir.resolve("bridge"),
                        config(local, cloudPort, "{ maxBytes: 64KB, whenFull: drop-oldest }"));
                var devices = new Publisher(local.port(), 100)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                sent.add(payload(i));
                devices.publish("sensors/dev" + (i % 10) + "/telemetry", payload(i));
            }
            devices.drain(30, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(3000);
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.bridge().spool().bytes() <= 64 * 1024);
            long kept = bridge.bridge().spool().entryCount();
            assertThat(bridge.count("edgebridge.messages.dropped", "reason", "spool-full", "sink", "cloud")).isPositive();

            try (var up = cloud.start(); var recorder = new Recorder(cloudPort, "recorder", "cloud/#")) {
                // Every accepted message ends as exactly one of: forwarded or dropped. (A few that were
                // already handed to the sink when the spool dropped them are still delivered.)
                await().atMost(Duration.ofSeconds(60)).until(() -> bridge.count("edgebridge.messages.forwarded")
                        + bridge.count("edgebridge.messages.dropped", "reason", "spool-full") == 3000);
                long forwarded = (long) bridge.count("edgebridge.messages.forwarded");
                recorder.awaitDistinct((int) forwarded, Duration.ofSeconds(30));
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                        .until(() -> recorder.distinct() == forwarded);
                // The newest survived the drops.
                assertThat(recorder.missing(sent.subList(3000 - (int) kept, 3000))).isEmpty();
            }
        } finally {
            cloud.close();
        }
    }

    @Test
    void refuseNew_refusesDevicesWhenFull_andCountsEachRefusal() throws Exception {
        int cloudPort = Ports.free();
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var bridge = TestBridge.start(dir.resolve("bridge"),
                        config(local, cloudPort, "{ maxBytes: 64KB, whenFull: refuse-new }"));
                var devices = new Publisher(local.port(), 1)) {
            for (int i = 0; i < 1000; i++) {
                devices.publish("sensors/dev" + (i % 10) + "/telemetry", payload(i)).exceptionally(e -> null);
            }
            devices.drain(30, TimeUnit.SECONDS);
            assertThat(devices.failed()).as("MQTT 5 devices get QUOTA_EXCEEDED").isPositive();
            assertThat(devices.lastError()).isInstanceOfSatisfying(Mqtt5PubAckException.class, e ->
                    assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED));
            double refused = bridge.count("edgebridge.messages.dropped", "reason", "refused");
            assertThat(refused).isEqualTo(devices.failed());
            assertThat(bridge.bridge().spool().entryCount()).isEqualTo(devices.acked());
            assertThat(bridge.bridge().spool().bytes()).isLessThanOrEqualTo(64 * 1024);
        }
    }

    /**
     * 200,000 messages spooled while the only sink is down, in a JVM whose heap is capped far below
     * what holding them in memory would take; then the sink comes back and receives every one.
     */
    @Test
    void twoHundredThousandMessagesSpooled_withACappedHeap_thenAllDelivered() throws Exception {
        int cloudPort = Ports.free();
        int n = 200_000;
        Mosquitto cloud = cloudWithRecorderSession(cloudPort);
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir); cloud) {
            Path file = dir.resolve("edgebridge.yaml");
            Files.writeString(file, config(local, cloudPort, "{ maxBytes: 1GB }"));
            Path log = dir.resolve("bridge.log");
            try (var bridge = new BridgeProcess(file, log, "-Xmx96m", "-XX:+ExitOnOutOfMemoryError").start()
                    .awaitStarted(Duration.ofSeconds(60))) {
                // Ten connections of ten devices each, as many devices do; this test is about the heap.
                List<Publisher> devices = new ArrayList<>();
                try {
                    for (int c = 0; c < 10; c++) {
                        devices.add(new Publisher(local.port(), 100));
                    }
                    for (int i = 0; i < n; i++) {
                        devices.get(i % 10).publish("sensors/dev" + (i % 100) + "/telemetry", "p" + i);
                    }
                    long acked = 0;
                    for (Publisher p : devices) {
                        p.drain(120, TimeUnit.SECONDS);
                        acked += p.acked();
                    }
                    assertThat(acked).isEqualTo(n);
                } finally {
                    devices.forEach(Publisher::close);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> lastSpoolEntries(bridge.logText()) >= n);
                assertThat(bridge.isAlive()).isTrue();

                try (var up = cloud.start(); var recorder = new Recorder(cloudPort, "recorder", "cloud/#")) {
                    recorder.awaitDistinct(n, Duration.ofSeconds(180));
                    await().atMost(Duration.ofSeconds(10)).until(() -> lastForwarded(bridge.logText()) >= n);
                }
                assertThat(bridge.terminate(Duration.ofSeconds(30))).isZero();
            }
        }
    }

    private static final Pattern SPOOL_ENTRIES = Pattern.compile("spool entries=(\\d+)");
    private static final Pattern FORWARDED = Pattern.compile("upstream received=\\d+ forwarded=(\\d+)");

    private static long lastSpoolEntries(String log) {
        return last(SPOOL_ENTRIES, log);
    }

    private static long lastForwarded(String log) {
        return last(FORWARDED, log);
    }

    private static long last(Pattern pattern, String log) {
        Matcher m = pattern.matcher(log);
        long value = -1;
        while (m.find()) {
            value = Long.parseLong(m.group(1));
        }
        return value;
    }
}
