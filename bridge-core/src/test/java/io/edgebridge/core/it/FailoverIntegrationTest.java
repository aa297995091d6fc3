package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.micrometer.core.instrument.Gauge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover groups and fan-out against real brokers: the embedded local broker, and Mosquitto
 * processes as the clouds, stopped and restarted on the same port mid-stream.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FailoverIntegrationTest {

    private static final int RATE_PER_SECOND = 1000;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // kept for diagnosis when a test fails
    Path dir;

    private static String sink(String name, Mosquitto broker) {
        return """
                  %s:
                    type: mqtt
                    uri: %s
                    reconnect: { min: 100ms, max: 500ms }
                """.formatted(name, broker.uri());
    }

    /** Publishes message {@code i} at its due time for {@code RATE_PER_SECOND}; returns the payload. */
    private static String publishPaced(Publisher devices, long startNanos, int i) {
        long wait = startNanos + i * (1_000_000_000L / RATE_PER_SECOND) - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
        String device = "dev" + (i % 50);
        String payload = device + ":" + i;
        devices.publish("sensors/" + device + "/telemetry", payload);
        return payload;
    }

    private static List<String> missingFromBoth(List<String> sent, Recorder a, Recorder b) {
        return sent.stream().filter(p -> !a.received(p) && !b.received(p)).toList();
    }

    /**
     * 1,000 msg/s for about 10 s; the primary stops at 3 s and comes back at 6 s. Nothing is lost, the
     * secondary carries the traffic meanwhile, and once the primary has been back for
     * switchBackAfter, everything published from then on reaches the primary.
     */
    @Test
    void thePrimaryStopsMidStream_noMessageIsLost_andTrafficReturnsToThePrimary() throws Exception {
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var primary = new Mosquitto(dir.resolve("primary")).start();
                var secondary = new Mosquitto(dir.resolve("secondary")).start();
                // Persistent sessions, subscribed before any traffic: the recorders miss nothing.
                var atPrimary = new Recorder(primary.port(), "recorder-primary", "cloud/#");
                var atSecondary = new Recorder(secondary.port(), "recorder-secondary", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + """
                        dataDir: %s
                        stats: { logInterval: 0 }
                        sinks:
                          cloud:
                            type: failover
                            members: [primary, secondary]
                            switchAfterDisconnected: 1s
                            switchBackAfter: 3s
                        %s%s
                        routes:
                          - name: telemetry
                            from: sensors/<deviceId>/telemetry
                            sink: cloud
                            topic: cloud/<deviceId>/data
                        """.formatted(dir.resolve("data"), sink("primary", primary), sink("secondary", secondary)));
                var devices = new Publisher(local.port(), 500)) {
            Gauge primaryActive = bridge.bridge().metrics().registry().find("edgebridge.failover.active")
                    .tags("sink", "cloud", "member", "primary").gauge();
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.bridge().sinksConnected());
            assertThat(primaryActive.value()).isEqualTo(1);

            List<String> sent = new ArrayList<>();
            int switchedBackAt = -1;
            boolean leftPrimary = false;
            long start = System.nanoTime();
            // At least 10 s, and 1 s beyond the switch back (bounded: without one, the assertion below fails).
            int limit = 30 * RATE_PER_SECOND;
            for (int i = 0; i < limit; i++) {
                if (i >= 10 * RATE_PER_SECOND && switchedBackAt >= 0 && i >= switchedBackAt + RATE_PER_SECOND) {
                    break;
                }
                if (i == 3 * RATE_PER_SECOND) {
                    primary.stop();
                }
                if (i == 6 * RATE_PER_SECOND) {
                    primary.start(); // same port, its persistence (the recorder's session) restored
                }
                leftPrimary |= primaryActive.value() == 0;
                if (leftPrimary && switchedBackAt < 0 && primaryActive.value() == 1) {
                    switchedBackAt = i;
                }
                sent.add(publishPaced(devices, start, i));
            }
            int total = sent.size();
            devices.drain(60, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(total);

            await("every message at the primary or the secondary").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> missingFromBoth(sent, atPrimary, atSecondary).isEmpty());
            assertThat(atSecondary.distinct()).as("the secondary carried traffic during the outage").isPositive();
            assertThat(switchedBackAt).as("switched back to the primary while publishing").isBetween(
                    6 * RATE_PER_SECOND, total - 1);
            List<String> afterSwitchBack = sent.subList(switchedBackAt, total);
            await("messages published after the switch back at the primary").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> atPrimary.missing(afterSwitchBack).isEmpty());
            assertThat(bridge.count("edgebridge.failover.switches", "sink", "cloud", "from", "primary", "to",
                    "secondary", "reason", "disconnected")).isEqualTo(1);
            assertThat(bridge.count("edgebridge.failover.switches", "sink", "cloud", "from", "secondary", "to",
                    "primary", "reason", "switch-back")).isEqualTo(1);
            long duplicates = atPrimary.total() + atSecondary.total() - total;
            System.out.printf("failover: %d messages, %d at the primary, %d at the secondary, %d duplicates,"
                    + " switched back at message %d%n", total, atPrimary.distinct(), atSecondary.distinct(), duplicates,
                    switchedBackAt);
        }
    }

    /**
     * Fan-out keeps delivery per target: one route, two sinks; while one cloud is down the other
     * keeps receiving, and after it is back the down one receives everything, including what was
     * published during its outage.
     */
    @Test
    void oneOfTwoTargetsDown_theOtherKeepsReceiving_andTheDownOneGetsEverythingAfterRecovery() throws Exception {
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloudA = new Mosquitto(dir.resolve("cloud-a")).start();
                var cloudB = new Mosquitto(dir.resolve("cloud-b")).start();
                var atA = new Recorder(cloudA.port(), "recorder-a", "cloud/#");
                var atB = new Recorder(cloudB.port(), "recorder-b", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + """
                        dataDir: %s
                        stats: { logInterval: 0 }
                        sinks:
                        %s%s
                        routes:
                          - name: telemetry
                            from: sensors/<deviceId>/telemetry
                            to:
                              - { sink: a, topic: cloud/<deviceId>/data }
                              - { sink: b, topic: cloud/<deviceId>/data }
                        """.formatted(dir.resolve("data"), sink("a", cloudA), sink("b", cloudB)));
                var devices = new Publisher(local.port(), 500)) {
            List<String> sent = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                sent.add(publishPaced(devices, start, i));
            }
            atB.awaitDistinct(500, Duration.ofSeconds(30));
            cloudB.stop();
            // What b's broker sent before it stopped may still be on its way to the recorder.
            AtomicLong lastSeen = new AtomicLong(-1);
            await().pollInterval(Duration.ofMillis(250)).atMost(Duration.ofSeconds(10))
                    .until(() -> lastSeen.getAndSet(atB.total()) == atB.total());
            long receivedByB = atB.total();

            for (int i = 1000; i < 3000; i++) {
                sent.add(publishPaced(devices, start, i));
            }
            // While b is down, a gets everything, including what was published during the outage.
            atA.awaitDistinct(3000, Duration.ofSeconds(30));
            assertThat(atA.missing(sent)).isEmpty();
            assertThat(atB.total()).isEqualTo(receivedByB);
            assertThat(cloudB.isRunning()).isFalse();

            cloudB.start();
            for (int i = 3000; i < 4000; i++) {
                sent.add(publishPaced(devices, start, i));
            }
            devices.drain(60, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(4000);
            atA.awaitDistinct(4000, Duration.ofSeconds(30));
            atB.awaitDistinct(4000, Duration.ofSeconds(60));
            assertThat(atA.missing(sent)).isEmpty();
            assertThat(atB.missing(sent)).isEmpty();
            assertThat(bridge.count("edgebridge.messages.forwarded", "route", "telemetry", "sink", "b"))
                    .isGreaterThanOrEqualTo(4000);
        }
    }
}
