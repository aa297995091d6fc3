package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.Bridge;
import io.edgebridge.core.internal.ConfigReloader;
import io.edgebridge.core.internal.SinkFactories;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.SteadyLoad;
import io.edgebridge.core.testing.TestBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * Hot reload while messages flow: routes, intake filters and sinks change by difference, nothing
 * accepted is lost, and a configuration that does not load is refused while the old one keeps running.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HotReloadIntegrationTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String config(String localYaml, int cloudPort, String targetTopic) {
        return localYaml + """
                dataDir: %s
                stats: { logInterval: 0 }
                reload: { watch: false }
                """.formatted(dir.resolve("data")) + Configs.mqttCloudSink(cloudPort) + """
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/data
                    sink: cloud
                    topic: %s
                """.formatted(targetTopic);
    }

    @ParameterizedTest
    @EnumSource(LocalSetup.class)
    void targetTemplateChangedUnderLoad_noMessageLost_laterMessagesUseTheNewTopic(LocalSetup setup) throws Exception {
        try (var local = setup.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "#");
                var bridge = TestBridge.start(dir.resolve("bridge"), config(local.yaml(), cloud.port(), "v1/<deviceId>"));
                var devices = new Publisher(local.port(), 200);
                var load = new SteadyLoad(devices, 1000)) {
            Sink sinkBefore = bridge.bridge().sink("cloud").orElseThrow();
            await().atMost(Duration.ofSeconds(20)).until(() -> recorder.distinct() >= 1000);

            Bridge.ReloadResult result = bridge.reload(config(local.yaml(), cloud.port(), "v2/<deviceId>/moved"));
            int boundary = load.next(); // published from here on: after the switch

            await().atMost(Duration.ofSeconds(20)).until(() -> load.next() >= boundary + 1500);
            int sent = load.stop();
            devices.drain(30, TimeUnit.SECONDS);
            assertThat(devices.failed()).isZero();
            recorder.awaitDistinct(sent, Duration.ofSeconds(60));

            assertThat(recorder.missing(SteadyLoad.indices(sent))).isEmpty();
            assertThat(result.version()).isEqualTo(2);
            assertThat(result.sinksChanged()).isEmpty(); // only a route changed: the sink keeps its connection
            assertThat(bridge.bridge().sink("cloud")).containsSame(sinkBefore);
            assertThat(bridge.bridge().configVersion()).isEqualTo(2);
            int before = 0;
            for (Mqtt5Publish message : recorder.messages()) {
                int index = Integer.parseInt(new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8));
                String topic = message.getTopic().toString();
                if (index >= boundary) {
                    assertThat(topic).as("message %d, published after the reload", index).matches("v2/dev\\d+/moved");
                } else {
                    assertThat(topic).matches("v1/dev\\d+|v2/dev\\d+/moved");
                    before += topic.startsWith("v1/") ? 1 : 0;
                }
            }
            assertThat(before).as("messages on the old topic").isGreaterThanOrEqualTo(1000);
            assertThat(recorder.duplicates()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = LocalSetup.class, names = {"EMBEDDED_MQTT", "EXTERNAL_MOSQUITTO"})
    void routeFilterChanged_intakeSubscribesToTheNewFilterAndDropsTheOld(LocalSetup setup) throws Exception {
        try (var local = setup.start(dir)) {
            filterChange(local.yaml(), local.port());
        }
    }

    @Test
    void routeFilterChanged_withASharedGroup_keepsTheSubscriptionsShared() throws Exception {
        try (var local = LocalSetup.EXTERNAL_MOSQUITTO.start(dir)) {
            filterChange(local.yaml() + "  sharedGroup: replicas\n", local.port());
        }
    }

    private void filterChange(String localYaml, int localPort) throws Exception {
        try (var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "#");
                var bridge = TestBridge.start(dir.resolve("bridge"), config(localYaml, cloud.port(), "v1/<deviceId>"));
                var devices = new Publisher(localPort, 50)) {
            devices.publish("sensors/a/data", "old-1").join();
            recorder.awaitDistinct(1, Duration.ofSeconds(20));

            bridge.reload(config(localYaml, cloud.port(), "v1/<deviceId>").replace("from: sensors/<deviceId>/data",
                    "from: meters/<deviceId>/reading"));
            devices.publish("sensors/a/data", "old-2").join();
            devices.publish("meters/b/reading", "new-1").join();
            recorder.awaitDistinct(2, Duration.ofSeconds(20));
            assertThat(recorder.topicOf("new-1")).isEqualTo("v1/b");
            // A wrongly kept subscription gets the time to show itself.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(recorder.received("old-2")).as("the old filter is no longer bridged").isFalse());
            assertThat(recorder.duplicates()).isZero();
        }
    }

    /**
     * Sinks {@code keep} and {@code moving} (MQTT) and the file sink {@code fileSink} writing
     * {@code <fileSink>.jsonl}, and a route sending every message to all three.
     */
    private String threeSinks(int keepPort, int movingPort, String fileSink) {
        return """
                sinks:
                  keep:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    clientId: keep
                  moving:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    clientId: moving
                    reconnect: { min: 100ms, max: 500ms }
                  %s:
                    type: file
                    path: %s
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/data
                    to:
                      - { sink: keep, topic: keep/<deviceId> }
                      - { sink: moving, topic: moving/<deviceId> }
                      - { sink: %s, topic: %s/<deviceId> }
                """.formatted(keepPort, movingPort, fileSink, dir.resolve(fileSink + ".jsonl"), fileSink, fileSink);
    }

    @Test
    void sinksAddedChangedAndRemoved_unaffectedSinkKeepsItsConnection_backlogFollowsTheChangedSink() throws Exception {
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloudA = new Mosquitto(dir.resolve("cloud-a")).start();
                var cloudB = new Mosquitto(dir.resolve("cloud-b")).start();
                var recorderA = new Recorder(cloudA.port(), "recorder-a", "#");
                var recorderB = new Recorder(cloudB.port(), "recorder-b", "#")) {
            String common = local.yaml() + """
                    dataDir: %s
                    stats: { logInterval: 0 }
                    reload: { watch: false }
                    """.formatted(dir.resolve("data"));
            String v1 = common + threeSinks(cloudA.port(), cloudA.port(), "retired");
            try (var bridge = TestBridge.start(dir.resolve("bridge"), v1);
                    var devices = new Publisher(local.port(), 100)) {
                Sink keep = bridge.bridge().sink("keep").orElseThrow();
                for (int i = 0; i < 100; i++) {
                    devices.publish("sensors/d" + (i % 5) + "/data", "a" + i);
                }
                devices.drain(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(20)).until(() -> recorderA.distinct() == 100
                        && recorderA.total() == 200);

                // "moving" points at cloud B, which is down: its messages wait in the spool.
                cloudB.stop();
                // "moving" moves to cloud B, "retired" gives way to "added", "keep" stays as it was.
                String v2 = common + threeSinks(cloudA.port(), cloudB.port(), "added");
                Bridge.ReloadResult result = bridge.reload(v2);
                assertThat(result.sinksAdded()).containsExactly("added");
                assertThat(result.sinksChanged()).containsExactly("moving");
                assertThat(result.sinksRemoved()).containsExactly("retired");
                assertThat(bridge.bridge().sink("keep")).containsSame(keep);
                assertThat(bridge.bridge().sink("retired")).isEmpty();

                for (int i = 0; i < 100; i++) {
                    devices.publish("sensors/d" + (i % 5) + "/data", "b" + i);
                }
                devices.drain(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(20)).until(() -> recorderA.distinct() == 200);
                await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(dir.resolve("added.jsonl"))
                        && Files.readAllLines(dir.resolve("added.jsonl")).size() == 100);
                assertThat(recorderB.distinct()).isZero();

                cloudB.start(); // same port: the changed sink delivers its backlog there
                recorderB.awaitDistinct(100, Duration.ofSeconds(30));
                assertThat(recorderB.messages()).allSatisfy(m -> assertThat(m.getTopic().toString()).startsWith("moving/"));
                assertThat(Files.readAllLines(dir.resolve("retired.jsonl"))).hasSize(100);
            }
        }
    }

    @Test
    void failoverMemberChanged_groupIsRecreatedOverTheNewMember_andKeepsDelivering() throws Exception {
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloudA = new Mosquitto(dir.resolve("cloud-a")).start();
                var cloudB = new Mosquitto(dir.resolve("cloud-b")).start();
                var recorderA = new Recorder(cloudA.port(), "recorder-a", "#");
                var recorderB = new Recorder(cloudB.port(), "recorder-b", "#")) {
            String template = local.yaml() + """
                    dataDir: %s
                    stats: { logInterval: 0 }
                    reload: { watch: false }
                    sinks:
                      cloud: { type: failover, members: [primary, standby], switchAfterDisconnected: 1s }
                      primary: { type: mqtt, uri: "mqtt://127.0.0.1:%%d", clientId: primary }
                      standby: { type: mqtt, uri: "mqtt://127.0.0.1:%d", clientId: standby }
                    routes:
                      - name: telemetry
                        from: sensors/<deviceId>/data
                        sink: cloud
                        topic: t/<deviceId>
                    """.formatted(dir.resolve("data"), cloudB.port());
            try (var bridge = TestBridge.start(dir.resolve("bridge"), template.formatted(cloudA.port()));
                    var devices = new Publisher(local.port(), 50)) {
                Sink groupBefore = bridge.bridge().sink("cloud").orElseThrow();
                devices.publish("sensors/a/data", "to-a").join();
                recorderA.awaitDistinct(1, Duration.ofSeconds(20));

                // The primary moves to another broker (here: the standby's, as a stand-in for a new endpoint).
                Bridge.ReloadResult result = bridge.reload(template.formatted(cloudB.port()));
                assertThat(result.sinksChanged()).containsExactly("primary", "cloud");
                assertThat(bridge.bridge().sink("cloud").orElseThrow()).isNotSameAs(groupBefore);
                for (int i = 0; i < 50; i++) {
                    devices.publish("sensors/a/data", "after-" + i);
                }
                devices.drain(30, TimeUnit.SECONDS);
                recorderB.awaitDistinct(50, Duration.ofSeconds(20));
                assertThat(recorderA.distinct()).isEqualTo(1);
            }
        }
    }

    @Test
    void invalidReload_isRefusedWithItsErrors_andTrafficContinues() throws Exception {
        Logger reloadLog = (Logger) LoggerFactory.getLogger(ConfigReloader.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        reloadLog.addAppender(logged);
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "#");
                var bridge = TestBridge.start(dir.resolve("bridge"), config(local.yaml(), cloud.port(), "v1/<deviceId>")
                        .replace("reload: { watch: false }", "reload: { watch: true, interval: 200ms }"));
                var reloader = new ConfigReloader(bridge.bridge(), new ConfigLoader(SinkFactories.load()),
                        bridge.file()).start();
                var devices = new Publisher(local.port(), 50)) {
            String running = bridge.bridge().config().fingerprint();
            Files.writeString(bridge.file(), config(local.yaml(), cloud.port(), "v2/<nosuch>")
                    .replace("reload: { watch: false }", "reload: { watch: true, interval: 200ms }")
                    .replace("type: mqtt", "type: mqtt\n    maxInFlight: lots"));

            // The refusal and its problem lines are separate log events: wait for the last of them.
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> List.copyOf(logged.list).stream()
                    .map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("nosuch") || m.contains("maxInFlight")).count() >= 2);
            List<String> lines = List.copyOf(logged.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(lines).anyMatch(l -> l.contains("configuration reload refused: 2 problems; still running version 1"));
            assertThat(lines).anyMatch(l -> l.contains("edgebridge.yaml:") && l.contains("maxInFlight"));
            assertThat(lines).anyMatch(l -> l.contains("edgebridge.yaml:") && l.contains("nosuch"));
            assertThat(bridge.bridge().configVersion()).isEqualTo(1);
            assertThat(bridge.bridge().config().fingerprint()).isEqualTo(running);

            devices.publish("sensors/x/data", "after-refusal").join();
            recorder.awaitDistinct(1, Duration.ofSeconds(20));
            assertThat(recorder.topicOf("after-refusal")).isEqualTo("v1/x");
            long refusals = logged.list.stream()
                    .filter(e -> e.getFormattedMessage().startsWith("configuration reload refused")).count();

            // The fixed file is picked up by the watcher.
            Files.writeString(bridge.file(), config(local.yaml(), cloud.port(), "v3/<deviceId>")
                    .replace("reload: { watch: false }", "reload: { watch: true, interval: 200ms }"));
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.bridge().configVersion() == 2);
            devices.publish("sensors/x/data", "after-fix").join();
            recorder.awaitDistinct(2, Duration.ofSeconds(20));
            assertThat(recorder.topicOf("after-fix")).isEqualTo("v3/x");
            assertThat(logged.list.stream()
                    .filter(e -> e.getFormattedMessage().startsWith("configuration reload refused")).count())
                    .as("a refused file is reported once, not on every check").isEqualTo(refusals);
        } finally {
            reloadLog.detachAppender(logged);
        }
    }
}
