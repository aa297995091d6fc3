package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The forwarding suite: real brokers on loopback (embedded HiveMQ CE and Mosquitto), real MQTT
 * clients, counts asserted. Every case runs against each way of reaching the local broker.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ForwardingIntegrationTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // kept for diagnosis when a test fails
    Path dir;

    private String common(int cloudPort) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                deadLetter: { maxAttempts: 3 }
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    reconnect: { min: 100ms, max: 1s }
                """.formatted(dir.resolve("data"), cloudPort);
    }

    private static final String TELEMETRY = """
            routes:
              - name: telemetry
                from: sensors/<deviceId>/telemetry
                sink: cloud
                topic: cloud/<deviceId>/data
            """;

    @ParameterizedTest
    @EnumSource(LocalSetup.class)
    void tenThousandMessagesFrom100Devices_allArriveOnTheirMappedTopics(LocalSetup setup) throws Exception {
        try (var local = setup.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + common(cloud.port()) + TELEMETRY);
                var devices = new Publisher(local.port(), 500)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                String device = "dev" + (i % 100);
                String payload = device + ":" + i;
                sent.add(payload);
                devices.publish("sensors/" + device + "/telemetry", payload);
            }
            devices.drain(60, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(10_000);

            recorder.awaitDistinct(10_000, Duration.ofSeconds(90));
            assertThat(recorder.missing(sent)).isEmpty();
            for (String payload : sent) {
                String device = payload.substring(0, payload.indexOf(':'));
                assertThat(recorder.topicOf(payload)).isEqualTo("cloud/" + device + "/data");
            }
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    bridge.count("edgebridge.messages.forwarded", "route", "telemetry", "sink", "cloud") >= 10_000);
            assertThat(bridge.count("edgebridge.messages.received", "direction", "upstream")).isEqualTo(10_000);
        }
    }

    /** "Started" means intake is live: even on a first start, with no session at the broker yet. */
    @ParameterizedTest
    @EnumSource(LocalSetup.class)
    void aMessagePublishedTheMomentStartReturns_isBridged(LocalSetup setup) throws Exception {
        try (var local = setup.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + common(cloud.port()) + TELEMETRY);
                var devices = new Publisher(local.port(), 1)) {
            devices.publish("sensors/first/telemetry", "first").join();
            recorder.awaitDistinct(1, Duration.ofSeconds(30));
            assertThat(recorder.topicOf("first")).isEqualTo("cloud/first/data");
        }
    }

    /** In-process intake spools QoS 0 publishes like any other: none is lost on the way to the cloud. */
    @org.junit.jupiter.api.Test
    void withInProcessIntake_qos0PublishesAreKeptToo() throws Exception {
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + common(cloud.port()) + TELEMETRY);
                var devices = new Publisher(local.port(), 100)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                String payload = "q0-" + i;
                sent.add(payload);
                devices.publish("sensors/dev" + (i % 20) + "/telemetry", payload, MqttQos.AT_MOST_ONCE);
            }
            recorder.awaitDistinct(2000, Duration.ofSeconds(60));
            assertThat(recorder.missing(sent)).isEmpty();
            assertThat(bridge.count("edgebridge.messages.received", "direction", "upstream")).isEqualTo(2000);
        }
    }

    @ParameterizedTest
    @EnumSource(LocalSetup.class)
    void cloudBrokerDownForTenSecondsMidStream_noMessageIsLost(LocalSetup setup) throws Exception {
        try (var local = setup.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + common(cloud.port()) + TELEMETRY);
                var devices = new Publisher(local.port(), 200)) {
            List<String> sent = new ArrayList<>();
            // Phase 1: traffic flowing, then the cloud goes away while messages are in flight.
            for (int i = 0; i < 3000; i++) {
                sent.add(publish(devices, i));
                if (i == 1500) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> recorder.distinct() >= 500);
                    cloud.stop();
                }
            }
            devices.drain(60, TimeUnit.SECONDS);
            assertThat(devices.acked()).as("every device message is accepted while the cloud is down").isEqualTo(3000);

            // The outage lasts 10 s; the backlog stays in the spool the whole time.
            long receivedBefore = recorder.total();
            await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(12))
                    .until(() -> recorder.total() == receivedBefore && !cloud.isRunning());
            assertThat(bridge.bridge().spool().entryCount()).isPositive();

            // Phase 2: the cloud is back (same port, its persistence restored), more traffic.
            cloud.start();
            for (int i = 3000; i < 4000; i++) {
                sent.add(publish(devices, i));
            }
            devices.drain(60, TimeUnit.SECONDS);
            recorder.awaitDistinct(4000, Duration.ofSeconds(90));
            assertThat(recorder.missing(sent)).isEmpty();
            System.out.printf("[%s] outage: %d messages, %d duplicates at the cloud%n", setup, recorder.total(),
                    recorder.duplicates());
        }
    }

    private static String publish(Publisher devices, int i) {
        String device = "dev" + (i % 100);
        String payload = device + ":" + i;
        devices.publish("sensors/" + device + "/telemetry", payload);
        return payload;
    }

    @ParameterizedTest
    @EnumSource(LocalSetup.class)
    void oneSinkUnreachable_theHealthySinkStillGetsEveryMessage(LocalSetup setup) throws Exception {
        int deadPort = Ports.free(); // nothing listens there for the whole test
        try (var local = setup.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + common(cloud.port()) + """
                          dead:
                            type: mqtt
                            uri: mqtt://127.0.0.1:%d
                            reconnect: { min: 100ms, max: 500ms }
                        routes:
                          - name: telemetry
                            from: sensors/<deviceId>/telemetry
                            to:
                              - { sink: dead, topic: dead/<deviceId> }
                              - { sink: cloud, topic: cloud/<deviceId>/data }
                        """.formatted(deadPort));
                var devices = new Publisher(local.port(), 500)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                sent.add(publish(devices, i));
            }
            devices.drain(60, TimeUnit.SECONDS);
            recorder.awaitDistinct(5000, Duration.ofSeconds(60));
            assertThat(recorder.missing(sent)).isEmpty();
            assertThat(bridge.count("edgebridge.messages.forwarded", "sink", "dead")).isZero();
            assertThat(bridge.bridge().sinksConnected()).isFalse();
            // The dead sink's messages wait in the spool for it.
            assertThat(bridge.bridge().spool().entryCount()).isGreaterThanOrEqualTo(5000);
        }
    }

    @ParameterizedTest
    @EnumSource(LocalSetup.class)
    void cloudCommandsReachTheirLocalTopics_andDoNotLoopBackUp(LocalSetup setup) throws Exception {
        try (var local = setup.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var cloudRecorder = new Recorder(cloud.port(), "cloud-recorder", "up/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + common(cloud.port()) + """
                        routes:
                          - name: device-events
                            from: devices/#
                            sink: cloud
                            topic: up/<#>
                          - name: commands
                            direction: downstream
                            from: { sink: cloud, topic: commands/<deviceId>/<command> }
                            to: devices/<deviceId>/commands/<command>
                        """);
                var localRecorder = new Recorder(local.port(), "local-recorder", "devices/#")) {
            Mqtt5BlockingClient operator = MqttClient.builder().useMqttVersion5().identifier("operator")
                    .serverHost("127.0.0.1").serverPort(cloud.port()).buildBlocking();
            operator.connect();
            // The downstream subscription is made once the sink is connected.
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.bridge().sinksConnected());
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                operator.publishWith().topic("commands/probe/ping").qos(MqttQos.AT_LEAST_ONCE)
                        .payload("probe".getBytes(StandardCharsets.UTF_8)).send();
                return localRecorder.received("probe");
            });
            for (int i = 0; i < 100; i++) {
                operator.publishWith().topic("commands/dev" + i + "/reboot").qos(MqttQos.AT_LEAST_ONCE)
                        .payload(("cmd" + i).getBytes(StandardCharsets.UTF_8)).send();
            }
            // A value that is not a valid topic level (empty) is rejected, never published locally.
            operator.publishWith().topic("commands//reboot").qos(MqttQos.AT_LEAST_ONCE)
                    .payload("bad".getBytes(StandardCharsets.UTF_8)).send();

            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (int i = 0; i < 100; i++) {
                    if (!localRecorder.received("cmd" + i)) {
                        return false;
                    }
                }
                return true;
            });
            for (int i = 0; i < 100; i++) {
                assertThat(localRecorder.topicOf("cmd" + i)).isEqualTo("devices/dev" + i + "/commands/reboot");
            }
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    bridge.count("edgebridge.messages.dropped", "route", "commands", "reason", "invalid-topic") == 1);
            assertThat(localRecorder.received("bad")).isFalse();

            // A real device event goes up; the commands published locally by the bridge do not.
            try (var device = new Publisher(local.port(), 10)) {
                device.publish("devices/dev1/status", "online").join();
            }
            cloudRecorder.awaitDistinct(1, Duration.ofSeconds(30));
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> cloudRecorder.total() == 1);
            assertThat(cloudRecorder.received("online")).isTrue();
            assertThat(cloudRecorder.topicOf("online")).isEqualTo("up/dev1/status");
            assertThat(bridge.count("edgebridge.messages.received", "route", "device-events")).isEqualTo(1);
            operator.disconnect();
        }
    }

    @ParameterizedTest
    @EnumSource(LocalSetup.class)
    void messagesTheCloudNeverAccepts_goToTheDeadLetterTopic_andTheRestIsDelivered(LocalSetup setup) throws Exception {
        try (var local = setup.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).withAcl("topic readwrite #\ntopic deny forbidden/#").start();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), local.yaml() + common(cloud.port()) + """
                        routes:
                          - name: things
                            from: things/<deviceId>/<kind>
                            sink: cloud
                            topic: <kind>/<deviceId>
                        """);
                var deadLetters = new Recorder(local.port(), "dlq-recorder", "edgebridge/dead-letter/#");
                var devices = new Publisher(local.port(), 100)) {
            List<String> good = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                if (i == 100) {
                    devices.publish("things/dev1/forbidden", "refused-by-acl"); // the broker says: not authorized
                }
                if (i == 200) {
                    devices.publish("things/dev1/$bad", "invalid-topic"); // maps to a '$' topic: never valid
                }
                String payload = "ok" + i;
                good.add(payload);
                devices.publish("things/dev" + i + "/cloud", payload);
            }
            devices.drain(30, TimeUnit.SECONDS);
            recorder.awaitDistinct(300, Duration.ofSeconds(60));
            assertThat(recorder.missing(good)).isEmpty();

            deadLetters.awaitDistinct(2, Duration.ofSeconds(60));
            Map<String, Mqtt5Publish> byPayload = deadLetters.messages().stream().collect(Collectors.toMap(
                    m -> new String(m.getPayloadAsBytes(), StandardCharsets.UTF_8), m -> m, (a, b) -> a));
            Mqtt5Publish refused = byPayload.get("refused-by-acl");
            assertThat(refused.getTopic().toString()).isEqualTo("edgebridge/dead-letter/cloud/things");
            assertThat(property(refused, "edgebridge-reason")).contains("NOT_AUTHORIZED").contains("3 attempts");
            assertThat(property(refused, "edgebridge-source-topic")).isEqualTo("things/dev1/forbidden");
            Mqtt5Publish invalid = byPayload.get("invalid-topic");
            assertThat(property(invalid, "edgebridge-reason")).contains("'$'");
            assertThat(recorder.received("refused-by-acl")).isFalse();
            assertThat(bridge.count("edgebridge.messages.deadlettered", "reason", "rejected")).isEqualTo(1);
            assertThat(bridge.count("edgebridge.messages.deadlettered", "reason", "permanent")).isEqualTo(1);
            assertThat(bridge.count("edgebridge.messages.failed", "reason", "rejected")).isEqualTo(3);
        }
    }

    private static String property(Mqtt5Publish publish, String name) {
        return publish.getUserProperties().asList().stream()
                .filter(p -> p.getName().toString().equals(name))
                .map(p -> p.getValue().toString())
                .findFirst().orElse(null);
    }
}
