package io.edgebridge.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault rows of the {@code gcp-pubsub} sink's downstream side, against {@link PubSubStandIn} with
 * Mosquitto as the local broker: the local broker away for several {@code downstream.timeout}s
 * (finding 7 of issue 14: every nack cycle used to leave one more local publish queued, so each
 * command arrived once per cycle), and a subscription that does not exist.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PubSubDownstreamOutageFaultTest {

    private static final int COMMANDS = 200;
    private static final int CYCLES = 4;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String yaml(int localPort, PubSubStandIn pubsub) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                local:
                  broker: mqtt://127.0.0.1:%d
                  clientId: edgebridge-fault
                  reconnect: { min: 100ms, max: 500ms }
                sinks:
                  pubsub:
                    type: gcp-pubsub
                    project: test-project
                    emulatorHost: %s
                    downstream: { subscription: commands-sub, timeout: 1s }
                routes:
                  - name: commands
                    direction: downstream
                    from: { sink: pubsub, topic: commands/<deviceId> }
                    to: devices/<deviceId>/commands
                """.formatted(dir.resolve("data"), localPort, pubsub.hostPort());
    }

    @Test
    void localBrokerDownForSeveralTimeouts_everyCommandArrivesAtMostTwice_readyAgain() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var pubsub = PubSubStandIn.start();
                var devices = new Recorder(local.port(), "devices", "devices/+/commands");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), pubsub))) {
            AdminClient admin = new AdminClient(bridge.adminPort());
            String warmUp = pubsub.inject("warm-up", Map.of("deviceId", "dev0"));
            await().atMost(Duration.ofSeconds(30)).until(() -> pubsub.acked(warmUp) && devices.received("warm-up"));

            try (LogCapture logs = LogCapture.start()) {
                local.stop();
                List<String> sent = new ArrayList<>();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < COMMANDS; i++) {
                    String payload = "command-" + i;
                    ids.add(pubsub.inject(payload, Map.of("deviceId", "dev" + (i % 10))));
                    sent.add(payload);
                }
                // The outage lasts until Pub/Sub delivered every command CYCLES times (nacked after each timeout).
                await().atMost(Duration.ofSeconds(40))
                        .until(() -> ids.stream().allMatch(id -> pubsub.deliveries(id) >= CYCLES));
                assertThat(ids).noneMatch(pubsub::acked);

                long backAt = System.nanoTime();
                local.start();
                devices.awaitDistinct(COMMANDS + 1, Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().allMatch(pubsub::acked));
                await().atMost(Duration.ofSeconds(20)).until(() -> admin.ready() == 200);
                Duration recovery = Duration.ofNanos(System.nanoTime() - backAt);
                devices.awaitQuiet(Duration.ofSeconds(2), Duration.ofSeconds(30));

                Recorder.Copies copies = devices.copies(p -> p.startsWith("command-"));
                long maxCopies = copies.max();
                long duplicates = copies.duplicates();
                FaultRow row = new FaultRow("downstream: local broker down for " + CYCLES + "+ timeouts (1 s), "
                        + COMMANDS + " commands", "mosquitto", "gcp-pubsub", sent.size(), copies.distinct(),
                        (long) bridge.count("edgebridge.messages.dropped", "direction", "downstream"), duplicates,
                        recovery, logs.count()).record();
                assertThat(devices.missing(sent)).isEmpty();
                assertThat(maxCopies).as("local copies of one command delivered %d+ times by Pub/Sub", CYCLES)
                        .isLessThanOrEqualTo(2);
                row.assertAccounted(COMMANDS / 10).assertLogLinesAtMost(40);
                assertThat(bridge.count("edgebridge.messages.received", "route", "commands"))
                        .as("received counts distinct messages").isEqualTo(COMMANDS + 1);
                assertThat(bridge.count("edgebridge.messages.redelivered", "route", "commands"))
                        .isGreaterThanOrEqualTo(COMMANDS * (CYCLES - 1));
            }
        }
    }

    @Test
    void missingSubscription_backsOffExponentially_sinkNotReadyAndShown_untilItExists() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var pubsub = PubSubStandIn.start();
                var devices = new Recorder(local.port(), "devices", "devices/+/commands")) {
            pubsub.subscriptionMissing(true);
            try (LogCapture logs = LogCapture.start();
                    var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), pubsub))) {
                AdminClient admin = new AdminClient(bridge.adminPort());
                await().atMost(Duration.ofSeconds(10)).until(() -> pubsub.streamingPulls() >= 1);
                long start = System.nanoTime();
                await().atMost(Duration.ofSeconds(5)).until(() -> admin.ready() == 503);
                JsonNode sink = admin.json("/status").get("sinks").get("pubsub");
                assertThat(sink.get("ready").asBoolean()).isFalse();
                assertThat(sink.get("problem").asText()).contains("commands-sub").contains("NOT_FOUND");
                assertThat(admin.get("/health/ready").body()).contains("sink:pubsub").contains("commands-sub");
                // Six seconds of a missing subscription: restarts after ~1, 2 and 4 s (less jitter), not every second.
                await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8)).until(() -> admin.ready() == 503);
                int restarts = pubsub.streamingPulls() - 1;
                double seconds = (System.nanoTime() - start) / 1e9;
                assertThat(restarts).as("subscriber restarts in %.1f s", seconds).isLessThanOrEqualTo(4);
                long warnings = logs.count(e -> e.getLoggerName().equals(PubSubDownstream.class.getName()));
                assertThat(warnings).as("WARN lines about the subscriber: %s", logs.lines()).isLessThanOrEqualTo(2);

                pubsub.subscriptionMissing(false);
                pubsub.inject("after", Map.of("deviceId", "dev1"));
                await().atMost(Duration.ofSeconds(20)).until(() -> devices.received("after"));
                await().atMost(Duration.ofSeconds(5)).until(() -> admin.ready() == 200);
                assertThat(admin.json("/status").get("sinks").get("pubsub").get("problem").isNull()).isTrue();
            }
        }
    }
}
