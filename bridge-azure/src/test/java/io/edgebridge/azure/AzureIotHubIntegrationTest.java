package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Outage;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The real Azure device SDK against an IoT Hub stand-in (embedded HiveMQ CE with TLS on
 * 127.0.0.N:8883, named hub-N.azure-devices.net by the test hosts file), with Mosquitto as the
 * local broker.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AzureIotHubIntegrationTest {

    private static final String KEY = AzureFixture.KEY;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private TestCertificates pki;

    @BeforeEach
    void certificates() {
        pki = TestCertificates.newCa(dir.resolve("pki"), "test-hub-ca");
    }

    private String yaml(int localPort, IotHubStandIn hub, String downstream) {
        return AzureFixture.head(dir.resolve("data"), localPort, "edgebridge-test") + """
                deadLetter: { maxAttempts: 3 }
                sinks:
                """ + AzureFixture.hubSink(hub, pki) + """
                    c2dTimeout: 30s
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: hub
                    topic: telemetry
                """ + downstream;
    }

    private static String publish(Publisher devices, int i, int deviceCount) {
        String device = "dev" + (i % deviceCount);
        String payload = "{\"device\":\"" + device + "\",\"n\":" + i + "}";
        devices.publish("devices/" + device + "/telemetry", payload);
        return payload;
    }

    private static String device(String payload) {
        return payload.substring(payload.indexOf(":\"") + 2, payload.indexOf("\","));
    }

    @Test
    void telemetryFrom100Devices_arrivesWithTheDefaultPropertiesAndJsonContentType() throws Exception {
        ListAppender<ILoggingEvent> logs = capture();
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var hub = new IotHubStandIn(dir.resolve("hub"), pki).start();
                var recorder = new Recorder(hub.plainPort(), "cloud-recorder", "devices/+/messages/events/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), hub, ""));
                var devices = new Publisher(local.port(), 200)) {
            long before = System.currentTimeMillis();
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                sent.add(publish(devices, i, 100));
            }
            devices.drain(60, TimeUnit.SECONDS);
            recorder.awaitDistinct(300, Duration.ofSeconds(90));
            assertThat(recorder.missing(sent)).isEmpty();
            for (Mqtt5Publish p : recorder.messages()) {
                String payload = new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
                String device = device(payload);
                String topic = p.getTopic().toString();
                assertThat(topic).startsWith("devices/gateway-1/messages/events/");
                Map<String, String> properties = IotHubStandIn.eventProperties(topic);
                assertThat(properties).containsEntry("deviceId", device)
                        .containsEntry("sourceTopic", "devices/" + device + "/telemetry")
                        .containsEntry("topic", "telemetry")
                        .containsEntry("$.ct", "application/json").containsEntry("$.ce", "utf-8");
                assertThat(Long.parseLong(properties.get("timestamp"))).isBetween(before,
                        System.currentTimeMillis());
                assertThat(properties.get("$.mid")).startsWith("hub:telemetry:");
            }
            assertThat(recorder.messages().stream()
                    .map(p -> IotHubStandIn.eventProperties(p.getTopic().toString()).get("deviceId")).distinct()
                    .count()).isEqualTo(100);
            // SAS: the SDK signed a token with the key; neither the key nor the token is logged.
            assertThat(hub.records().userNames).isNotEmpty()
                    .allMatch(u -> u.startsWith(hub.hostName() + "/gateway-1/?api-version="));
            assertThat(hub.records().passwords).allMatch(pw -> pw.startsWith("SharedAccessSignature ")
                    && pw.contains("sr=" + hub.hostName() + "/devices/gateway-1") && pw.contains("sig="));
            assertNoSecrets(logs, hub.records().passwords.get(0));
        } finally {
            release(logs);
        }
    }

    @Test
    void cloudToDevice_isPublishedLocallyAndCompletedOnlyAfterTheLocalPuback_invalidDeviceIdsAreRejected()
            throws Exception {
        String downstream = """
                  - name: commands
                    direction: downstream
                    from: { sink: hub, topic: c2d/<deviceId> }
                    to: devices/<deviceId>/commands
                """;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var hub = new IotHubStandIn(dir.resolve("hub"), pki).start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), hub, downstream))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.bridge().sinksConnected());
            List<Long> pubacks = hub.records().devicePubacks;
            try (var localRecorder = new Recorder(local.port(), "local-recorder", "devices/+/commands")) {
                // The SDK subscribes to devicebound/# as it opens: send until the first one comes through.
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    hub.sendCloudToDevice("gateway-1", Map.of("deviceId", "probe"), "probe");
                    return localRecorder.received("probe");
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> pubacks.size() >= 1);
            }
            // The local broker is down: the message waits, unacknowledged to the hub.
            local.stop();
            int acked = hub.records().devicePubacks.size();
            double completed = bridge.count("edgebridge.azure.c2d", "sink", "hub", "result", "completed");
            hub.sendCloudToDevice("gateway-1", Map.of("deviceId", "dev7", "$.mid", "m-1"), "{\"reboot\":true}");
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(hub.records().devicePubacks).as("acknowledged to the hub while the local broker is down")
                            .hasSize(acked));
            local.start();
            try (var localRecorder = new Recorder(local.port(), "local-recorder-2", "devices/#")) {
                // Completed once the restarted broker took it (the recorder may subscribe after that).
                await().atMost(Duration.ofSeconds(30)).until(() -> hub.records().devicePubacks.size() > acked);
                assertThat(bridge.count("edgebridge.azure.c2d", "sink", "hub", "result", "completed"))
                        .isEqualTo(completed + 1);

                long rejectedBefore = (long) bridge.count("edgebridge.azure.c2d", "sink", "hub", "result", "rejected");
                hub.sendCloudToDevice("gateway-1", Map.of("deviceId", "a/b"), "slash");
                hub.sendCloudToDevice("gateway-1", Map.of("deviceId", "#"), "wildcard");
                hub.sendCloudToDevice("gateway-1", Map.of("deviceId", "dev8"), "after");
                await().atMost(Duration.ofSeconds(30)).until(() -> localRecorder.received("after"));
                assertThat(localRecorder.topicOf("after")).isEqualTo("devices/dev8/commands");
                assertThat(bridge.count("edgebridge.azure.c2d", "sink", "hub", "result", "rejected"))
                        .isEqualTo(rejectedBefore + 2);
                assertThat(localRecorder.received("slash")).isFalse();
                assertThat(localRecorder.received("wildcard")).isFalse();
                // Only the two valid commands were published locally (dev7's, republished after the restart, and dev8's).
                assertThat(localRecorder.messages()).allSatisfy(p -> assertThat(p.getTopic().toString())
                        .isIn("devices/dev7/commands", "devices/dev8/commands"));
            }
        }
    }

    @Test
    void cloudToDevice_theCommandWaitingForTheLocalBrokerArrivesOnItsMappedTopic() throws Exception {
        String downstream = """
                  - name: commands
                    direction: downstream
                    from: { sink: hub, topic: c2d/<deviceId> }
                    to: devices/<deviceId>/commands
                """;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var hub = new IotHubStandIn(dir.resolve("hub"), pki).start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), hub, downstream));
                var localRecorder = new Recorder(local.port(), "local-recorder", "devices/+/commands")) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                hub.sendCloudToDevice("gateway-1", Map.of("deviceId", "probe"), "probe");
                return localRecorder.received("probe");
            });
            int acked = hub.records().devicePubacks.size();
            Map<String, String> properties = new LinkedHashMap<>();
            properties.put("deviceId", "dev7");
            properties.put("$.mid", "m-1");
            hub.sendCloudToDevice("gateway-1", properties, "{\"reboot\":true}");
            await().atMost(Duration.ofSeconds(30)).until(() -> localRecorder.received("{\"reboot\":true}")
                    && hub.records().devicePubacks.size() > acked);
            long localArrival = localRecorder.arrivals().stream().filter(a -> a.payload().equals("{\"reboot\":true}"))
                    .findFirst().orElseThrow().nanos();
            assertThat(localRecorder.topicOf("{\"reboot\":true}")).isEqualTo("devices/dev7/commands");
            // The local subscriber got it no later than the hub got its acknowledgement (plus scheduling noise).
            long hubAck = hub.records().devicePubacks.get(acked);
            assertThat(hubAck).isGreaterThan(localArrival - TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    @Test
    void standInStoppedForTenSecondsMidStream_noMessageIsLost() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var hub = new IotHubStandIn(dir.resolve("hub"), pki).start();
                var recorder = new Recorder(hub.plainPort(), "cloud-recorder", "devices/+/messages/events/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), hub, ""));
                var devices = new Publisher(local.port(), 200)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                sent.add(publish(devices, i, 100));
                if (i == 400) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> recorder.distinct() >= 100);
                    hub.stop();
                }
            }
            devices.drain(60, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(1000);
            // The outage (the scenario asks for ten seconds): the messages wait in the spool all along.
            Outage.holdFor(bridge, Duration.ofSeconds(10));
            hub.start();
            // Counted at the broker, as IoT Hub would: a subscriber made after the restart could miss
            // what the bridge re-sends in the first moments.
            for (int i = 1000; i < 1300; i++) {
                sent.add(publish(devices, i, 100));
            }
            devices.drain(60, TimeUnit.SECONDS);
            Outage.awaitAllReceived(sent, hub::received, Duration.ofSeconds(120));
        }
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        return logs;
    }

    private static void release(ListAppender<ILoggingEvent> logs) {
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    }

    private static void assertNoSecrets(ListAppender<ILoggingEvent> logs, String sasToken) {
        String signature = sasToken.substring(sasToken.indexOf("sig=") + 4, sasToken.indexOf("sig=") + 24);
        for (ILoggingEvent e : List.copyOf(logs.list)) {
            String text = e.getFormattedMessage() + " " + e.getKeyValuePairs();
            assertThat(text).doesNotContain(KEY).doesNotContain(signature);
        }
    }
}
