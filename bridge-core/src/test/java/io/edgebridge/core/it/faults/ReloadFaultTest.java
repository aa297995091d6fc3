package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.internal.Bridge;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.SteadyLoad;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kind of reload, one after the other, while devices publish at a steady rate: a route's
 * target, a route's source filter (new local subscriptions), a sink setting, a sink's client id, a sink added, a sink removed, a sink turned into a
 * failover group, a failover member changed, a local-broker setting (refused: it needs a restart).
 * For each phase (the messages published from one reload to the next) every message the devices had
 * acknowledged reaches the cloud, duplicates stay within a sink's in-flight window, and the first
 * message published after the reload arrives within seconds.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReloadFaultTest {

    private static final int RATE = 500;
    private static final Duration PHASE = Duration.ofMillis(1500);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    /** One configuration of the chain; {@code fault} names the change that leads to it. */
    private record Phase(String fault, String from, String sinks, String target) {

        Phase(String fault, String sinks, String target) {
            this(fault, "sensors/<deviceId>/#", sinks, target);
        }
    }

    private String config(String local, Phase phase) {
        return local + """
                dataDir: %s
                stats: { logInterval: 0 }
                reload: { watch: false }
                """.formatted(dir.resolve("data")) + phase.sinks() + """
                routes:
                  - name: telemetry
                    from: %s
                    to:
                %s
                """.formatted(phase.from(), phase.target());
    }

    private static String mqtt(String name, int port, String extra) {
        return """
                  %s:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    reconnect: { min: 100ms, max: 1s }
                    required: false
                %s""".formatted(name, port, extra.isEmpty() ? "" : "    " + extra + "\n");
    }

    private static List<Phase> chain(int cloud, int dead) {
        String toCloud = "      - { sink: cloud, topic: \"cloud/v1/<deviceId>\" }\n";
        String toSpare = "      - { sink: spare, topic: \"spare/<deviceId>\" }\n";
        String v2 = "      - { sink: cloud, topic: \"cloud/v2/<deviceId>\" }\n";
        String toExtra = "      - { sink: extra, topic: \"extra/<deviceId>\" }\n";
        String spare = mqtt("spare", dead, ""); // never connects: its backlog pins the spool until it is removed
        String sinks = "sinks:\n";
        String group = """
                  cloud:
                    type: failover
                    members: [primary, standby]
                """;
        List<Phase> phases = new ArrayList<>();
        phases.add(new Phase("start", "sensors/<deviceId>/data", sinks + mqtt("cloud", cloud, "") + spare,
                toCloud + toSpare));
        phases.add(new Phase("reload: route target changed", "sensors/<deviceId>/data",
                sinks + mqtt("cloud", cloud, "") + spare, v2 + toSpare));
        phases.add(new Phase("reload: route source filter changed", sinks + mqtt("cloud", cloud, "") + spare,
                v2 + toSpare));
        phases.add(new Phase("reload: sink setting changed (maxInFlight)",
                sinks + mqtt("cloud", cloud, "maxInFlight: 999") + spare, v2 + toSpare));
        phases.add(new Phase("reload: sink client id changed",
                sinks + mqtt("cloud", cloud, "maxInFlight: 999\n    clientId: edgebridge-cloud-b") + spare, v2 + toSpare));
        String cloudB = mqtt("cloud", cloud, "maxInFlight: 999\n    clientId: edgebridge-cloud-b");
        phases.add(new Phase("reload: sink added", sinks + cloudB + spare + mqtt("extra", cloud, ""),
                v2 + toSpare + toExtra));
        phases.add(new Phase("reload: sink removed (with a backlog)", sinks + cloudB + mqtt("extra", cloud, ""),
                v2 + toExtra));
        phases.add(new Phase("reload: sink replaced by a failover group",
                sinks + group + mqtt("primary", cloud, "clientId: edgebridge-primary")
                        + mqtt("standby", cloud, "clientId: edgebridge-standby") + mqtt("extra", cloud, ""),
                v2 + toExtra));
        phases.add(new Phase("reload: failover member changed",
                sinks + group + mqtt("primary", cloud, "clientId: edgebridge-primary\n    maxInFlight: 500")
                        + mqtt("standby", cloud, "clientId: edgebridge-standby") + mqtt("extra", cloud, ""),
                v2 + toExtra));
        return phases;
    }

    @ParameterizedTest
    @EnumSource(value = LocalSetup.class, names = {"EMBEDDED_EXTENSION", "EXTERNAL_MOSQUITTO"})
    void everyKindOfReloadUnderLoad_everyAcknowledgedMessageArrives(LocalSetup setup) throws Exception {
        int dead = Ports.free();
        try (var local = setup.start(dir);
                var cloudBroker = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloudBroker.port(), "recorder", "cloud/#");
                var logs = LogCapture.start()) {
            List<Phase> phases = chain(cloudBroker.port(), dead);
            try (var bridge = TestBridge.start(dir.resolve("bridge"), config(local.yaml(), phases.get(0)));
                    var devices = new Publisher(local.port(), 100);
                    var load = new SteadyLoad(devices, RATE)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> recorder.distinct() >= RATE / 2);
                List<Integer> boundaries = new ArrayList<>();
                List<Duration> recoveries = new ArrayList<>();
                List<Integer> logLines = new ArrayList<>();
                for (int i = 1; i < phases.size(); i++) {
                    logs.clear();
                    Bridge.ReloadResult result = bridge.reload(config(local.yaml(), phases.get(i)));
                    assertThat(result.sinksFailed()).as(phases.get(i).fault()).isEmpty();
                    long reloaded = System.nanoTime();
                    int boundary = load.next();
                    boundaries.add(boundary);
                    String firstAfter = Integer.toString(boundary);
                    await().atMost(Duration.ofSeconds(20)).until(() -> recorder.received(firstAfter));
                    recoveries.add(Duration.ofNanos(System.nanoTime() - reloaded));
                    int until = boundary + (int) (RATE * PHASE.toMillis() / 1000);
                    await().atMost(Duration.ofSeconds(20)).until(() -> load.next() >= until);
                    logLines.add(logs.count());
                }
                // A local-broker setting needs a restart: the reload says so and keeps the running one.
                String moved = config(local.yaml().replace("127.0.0.1", "127.0.0.2"), phases.get(phases.size() - 1));
                Bridge.ReloadResult refused = bridge.reload(moved);
                assertThat(refused.needRestart()).contains("local");
                int refusedAt = load.next();
                boundaries.add(refusedAt);
                await().atMost(Duration.ofSeconds(20)).until(() -> recorder.received(Integer.toString(refusedAt)));
                recoveries.add(Duration.ZERO);
                int end = refusedAt + (int) (RATE * PHASE.toMillis() / 1000);
                await().atMost(Duration.ofSeconds(20)).until(() -> load.next() >= end);
                logLines.add(logs.count());

                int sent = load.stop();
                devices.drain(30, TimeUnit.SECONDS);
                Set<String> acked = devices.ackedPayloads();
                try {
                    await("every acknowledged message at the cloud").atMost(Duration.ofSeconds(30))
                            .until(() -> acked.stream().allMatch(recorder::received));
                } catch (ConditionTimeoutException e) {
                    // The rows below say which reload lost them.
                }

                String localName = setup == LocalSetup.EXTERNAL_MOSQUITTO ? "mosquitto" : "embedded/extension";
                // Reload p is charged with the messages published from halfway since the one before it to
                // halfway to the next one: what was in flight or backlog when it happened, and what followed.
                List<Integer> edges = new ArrayList<>();
                edges.add(0);
                for (int p = 0; p < boundaries.size() - 1; p++) {
                    edges.add((boundaries.get(p) + boundaries.get(p + 1)) / 2);
                }
                edges.add(sent);
                List<FaultRow> rows = new ArrayList<>();
                for (int p = 0; p < boundaries.size(); p++) {
                    int from = edges.get(p);
                    int to = edges.get(p + 1);
                    long ackedInPhase = 0;
                    long delivered = 0;
                    for (int n = from; n < to; n++) {
                        String payload = Integer.toString(n);
                        if (acked.contains(payload)) {
                            ackedInPhase++;
                            if (recorder.received(payload)) {
                                delivered++;
                            }
                        }
                    }
                    String fault = p < phases.size() - 1 ? phases.get(p + 1).fault()
                            : "reload: local broker setting changed (refused, needs a restart)";
                    rows.add(new FaultRow(fault, localName, "mqtt", ackedInPhase, delivered, 0,
                            duplicatesIn(recorder, from, to), recoveries.get(p), logLines.get(p)).record());
                }
                rows.forEach(row -> row.assertAccounted(1000));
                // The removed sink's backlog was counted, and no longer pins the spool.
                assertThat(bridge.count("edgebridge.messages.dropped", "sink", "spare", "reason", "sink-removed"))
                        .isGreaterThan(0);
                await("the spool reclaims what every remaining sink has").atMost(Duration.ofSeconds(10))
                        .until(() -> bridge.bridge().spool().entryCount() < 2L * ChunkSize.ENTRIES + RATE);

            }
        }
    }

    private static long duplicatesIn(Recorder recorder, int from, int to) {
        long copies = recorder.arrivals().stream().mapToInt(a -> Integer.parseInt(a.payload()))
                .filter(n -> n >= from && n < to).count();
        long distinct = recorder.arrivals().stream().mapToInt(a -> Integer.parseInt(a.payload()))
                .filter(n -> n >= from && n < to).distinct().count();
        return copies - distinct;
    }

    /** The spool's reclaim unit (entries are deleted a chunk at a time). */
    private static final class ChunkSize {
        static final int ENTRIES = 256;
    }
}
