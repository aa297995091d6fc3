package io.edgebridge.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Outage;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The real aws-crt client against an IoT Core stand-in (embedded HiveMQ CE, mutual TLS with a
 * test CA), with Mosquitto as the local broker.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AwsIotCoreIntegrationTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private TestCertificates pki;
    private TestCertificates.Issued server;
    private Path certificate;
    private Path privateKey;

    @BeforeEach
    void certificates() throws Exception {
        pki = TestCertificates.newCa(dir.resolve("pki"), "test-iot-ca");
        server = pki.server("iot-endpoint");
        useClientCertificate(pki.client("gateway-1"));
    }

    /** Writes {@code issued} to the files the bridge is configured with (as an operator's rotation would). */
    private void useClientCertificate(TestCertificates.Issued issued) throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        certificate = etc.resolve("device.crt.pem");
        privateKey = etc.resolve("device.key.pem");
        Path tmpCert = etc.resolve("device.crt.tmp");
        Path tmpKey = etc.resolve("device.key.tmp");
        Files.copy(issued.certificate(), tmpCert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(issued.privateKey(), tmpKey, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmpKey, privateKey, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmpCert, certificate, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private String yaml(int localPort, int tlsPort, String extraSinkKeys, String routes) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                deadLetter: { maxAttempts: 3 }
                local:
                  broker: mqtt://127.0.0.1:%d
                  clientId: edgebridge-test
                  reconnect: { min: 100ms, max: 1s }
                sinks:
                %s
                %s
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: aws
                    topic: dt/gateway-1/<deviceId>/telemetry
                    properties: { device: <deviceId>, gateway: gateway-1 }
                    contentType: application/json
                    messageExpiry: 1h
                %s
                """.formatted(dir.resolve("data"), localPort,
                AwsSinkYaml.sink(tlsPort, certificate, privateKey, pki.caCertificate(), "reconnect: { min: 100ms, max: 1s }",
                        "rotationCheck: 200ms"),
                extraSinkKeys.indent(4).stripTrailing(), routes.stripTrailing());
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

    private static Map<String, String> userProperties(Mqtt5Publish p) {
        return p.getUserProperties().asList().stream().collect(Collectors.toMap(u -> u.getName().toString(),
                u -> u.getValue().toString(), (a, b) -> b));
    }

    @Test
    void telemetryFrom100Devices_arrivesOnTheMappedTopicsWithUserProperties() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), server, pki).start();
                var recorder = new Recorder(cloud.plainPort(), "cloud-recorder", "dt/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), cloud.tlsPort(), "", ""));
                var devices = new Publisher(local.port(), 200)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                sent.add(publish(devices, i, 100));
            }
            devices.drain(60, TimeUnit.SECONDS);
            recorder.awaitDistinct(500, Duration.ofSeconds(60));
            assertThat(recorder.missing(sent)).isEmpty();
            for (Mqtt5Publish p : recorder.messages()) {
                String payload = new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
                String device = device(payload);
                assertThat(p.getTopic().toString()).isEqualTo("dt/gateway-1/" + device + "/telemetry");
                assertThat(userProperties(p)).containsEntry("device", device).containsEntry("gateway", "gateway-1");
                assertThat(p.getContentType().map(Object::toString)).contains("application/json");
                assertThat(p.getMessageExpiryInterval()).isPresent();
                assertThat(p.getMessageExpiryInterval().getAsLong()).isBetween(3500L, 3600L);
            }
            assertThat(recorder.messages().stream().map(p -> userProperties(p).get("device")).distinct().count())
                    .isEqualTo(100);
            assertThat(cloud.clientCertificates()).allMatch(s -> s.equals("CN=gateway-1"));
        }
    }

    @Test
    void a200KbMessage_isDeadLetteredWithTheReason_andSmallerOnesBehindItGoThrough() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), server, pki).start();
                var recorder = new Recorder(cloud.plainPort(), "cloud-recorder", "dt/#");
                var deadLetters = new Recorder(local.port(), "dead-letter-recorder", "edgebridge/dead-letter/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), cloud.tlsPort(), "", ""));
                var devices = new Publisher(local.port(), 10)) {
            String big = "{\"device\":\"dev1\",\"blob\":\"" + "x".repeat(200 * 1024) + "\"}";
            List<String> small = new ArrayList<>();
            small.add(publish(devices, 0, 1));
            devices.publish("devices/dev1/telemetry", big);
            for (int i = 1; i <= 20; i++) {
                small.add(publish(devices, i, 1));
            }
            devices.drain(30, TimeUnit.SECONDS);
            recorder.awaitDistinct(small.size(), Duration.ofSeconds(60));
            assertThat(recorder.missing(small)).isEmpty();
            assertThat(recorder.received(big)).isFalse();
            deadLetters.awaitDistinct(1, Duration.ofSeconds(30));
            Mqtt5Publish dead = deadLetters.messages().get(0);
            assertThat(dead.getPayloadAsBytes()).hasSize(big.length());
            assertThat(userProperties(dead).get("edgebridge-reason")).contains("128 KB").contains("bytes");
        }
    }

    @Test
    void aClientCertificateFromAnotherCa_isRefusedWithASecretFreeError_andQueuedMessagesSurvive() throws Exception {
        TestCertificates otherCa = TestCertificates.newCa(dir.resolve("other-pki"), "other-ca");
        TestCertificates.Issued foreign = otherCa.client("gateway-1");
        useClientCertificate(foreign);
        String keyText = Files.readString(foreign.privateKey());
        String keyBody = keyText.lines().filter(l -> !l.startsWith("-----")).collect(Collectors.joining());
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger sinkLog = (Logger) LoggerFactory.getLogger(AwsIotCoreSink.class);
        logs.start();
        sinkLog.addAppender(logs);
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), server, pki).start();
                var recorder = new Recorder(cloud.plainPort(), "cloud-recorder", "dt/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), cloud.tlsPort(), "", ""));
                var devices = new Publisher(local.port(), 50)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                sent.add(publish(devices, i, 5));
            }
            devices.drain(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> logs.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().startsWith("cannot connect to AWS IoT Core")));
            // It keeps trying, and nothing gets through.
            await().atMost(Duration.ofSeconds(30)).until(() -> cloud.clientCertificates().isEmpty()
                    && logs.list.stream().filter(e -> e.getFormattedMessage().startsWith("cannot connect")).count() >= 2);
            assertThat(recorder.total()).isZero();
            assertThat(bridge.bridge().sinksConnected()).isFalse();
            for (ILoggingEvent e : logs.list) {
                String text = e.getFormattedMessage() + " " + e.getKeyValuePairs();
                assertThat(text).doesNotContain(keyBody.substring(0, 40)).doesNotContain("PRIVATE KEY");
            }
            String error = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.startsWith("cannot connect")).findFirst().orElseThrow();
            System.out.println("[refused] " + error);
            // Named by a handshake of the sink's own (TlsGate), not aws-crt's generic code.
            assertThat(error).contains("the server refused the client certificate in file '" + certificate + "'");

            // The operator installs a certificate from the right CA: the queued messages all arrive.
            useClientCertificate(pki.client("gateway-1"));
            recorder.awaitDistinct(50, Duration.ofSeconds(60));
            assertThat(recorder.missing(sent)).isEmpty();
        } finally {
            sinkLog.detachAppender(logs);
        }
    }

    @Test
    void standInStoppedForTenSecondsMidStream_noMessageIsLost() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), server, pki).start();
                var recorder = new Recorder(cloud.plainPort(), "cloud-recorder", "dt/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), cloud.tlsPort(),
                        "rateLimit: { messages: 1000 }\noperationTimeout: 5s", ""));
                var devices = new Publisher(local.port(), 200)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 1500; i++) {
                sent.add(publish(devices, i, 100));
                if (i == 700) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> recorder.distinct() >= 200);
                    cloud.stop();
                }
            }
            devices.drain(60, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(1500);
            // The outage (the scenario asks for ten seconds): the messages wait in the spool all along.
            Outage.holdFor(bridge, Duration.ofSeconds(10));
            cloud.start();
            // Counted where IoT Core would count them, at the broker: a subscriber that connects after
            // the restart could miss what the bridge sends in the first moments.
            for (int i = 1500; i < 2000; i++) {
                sent.add(publish(devices, i, 100));
            }
            devices.drain(60, TimeUnit.SECONDS);
            Outage.awaitAllReceived(sent, cloud::received, Duration.ofSeconds(90));
        }
    }

    @Test
    void aShadowDeltaAndACommandFromTheCloud_arriveOnTheMappedLocalTopics() throws Exception {
        String downstream = """
                  - name: shadow-delta
                    direction: downstream
                    from: { sink: aws, topic: $aws/things/<deviceId>/shadow/update/delta }
                    to: devices/<deviceId>/shadow/delta
                  - name: commands
                    direction: downstream
                    from: { sink: aws, topic: commands/<deviceId>/<command> }
                    to: devices/<deviceId>/commands/<command>
                """;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), server, pki).start();
                var localRecorder = new Recorder(local.port(), "local-recorder", "devices/+/shadow/#",
                        "devices/+/commands/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), cloud.tlsPort(), "",
                        downstream))) {
            Mqtt5BlockingClient operator = MqttClient.builder().useMqttVersion5().identifier("operator")
                    .serverHost("127.0.0.1").serverPort(cloud.plainPort()).buildBlocking();
            operator.connect();
            try {
                // The downstream subscription is made once the sink is connected: probe until it is in place.
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
                    operator.publishWith().topic("commands/probe/ping").qos(MqttQos.AT_LEAST_ONCE)
                            .payload("probe".getBytes(StandardCharsets.UTF_8)).send();
                    return localRecorder.received("probe");
                });
                operator.publishWith().topic("commands/dev7/reboot").qos(MqttQos.AT_LEAST_ONCE)
                        .payload("{\"delay\":5}".getBytes(StandardCharsets.UTF_8)).send();
                cloud.publishAsService("$aws/things/dev7/shadow/update/delta",
                        "{\"state\":{\"interval\":30},\"version\":12}");
                await().atMost(Duration.ofSeconds(30)).until(() -> localRecorder.received("{\"delay\":5}")
                        && localRecorder.received("{\"state\":{\"interval\":30},\"version\":12}"));
                assertThat(localRecorder.topicOf("{\"delay\":5}")).isEqualTo("devices/dev7/commands/reboot");
                assertThat(localRecorder.topicOf("{\"state\":{\"interval\":30},\"version\":12}"))
                        .isEqualTo("devices/dev7/shadow/delta");
            } finally {
                operator.disconnect();
            }
        }
    }

    @Test
    void aShadowUpdate_isRenderedFromTheTemplate_andPublishedToTheReservedShadowTopic() throws Exception {
        String shadowRoute = """
                  - name: shadow
                    from: devices/<deviceId>/state
                    sink: aws
                    topic: $aws/things/<deviceId>/shadow/update
                    payload: template
                    template: '{"state":{"reported":<payload>}}'
                """;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), server, pki).start();
                var bridge = TestBridge.start(dir.resolve("bridge"),
                        yaml(local.port(), cloud.tlsPort(), "", shadowRoute));
                var devices = new Publisher(local.port(), 10)) {
            devices.publish("devices/thermo-7/state", "{\"temp\":21.5}").join();
            devices.publish("devices/thermo-8/state", "{\"temp\":19}").join();

            await().atMost(Duration.ofSeconds(30)).until(() -> cloud.reservedPublishes().size() >= 2);
            assertThat(cloud.reservedPublishes()).extracting(p -> p[0] + " " + p[1]).containsExactlyInAnyOrder(
                    "$aws/things/thermo-7/shadow/update {\"state\":{\"reported\":{\"temp\":21.5}}}",
                    "$aws/things/thermo-8/shadow/update {\"state\":{\"reported\":{\"temp\":19}}}");
            assertThat(bridge.count("edgebridge.messages.forwarded", "route", "shadow")).isEqualTo(2);
            assertThat(bridge.count("edgebridge.messages.deadlettered")).isZero();
        }
    }

    @Test
    void thePublishRateCapHolds_whileABacklogDrains() throws Exception {
        int limit = 50;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), server, pki)) {
            // The backlog builds while IoT Core is unreachable.
            try (var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), cloud.tlsPort(),
                    "rateLimit: { messages: " + limit + " }", ""));
                    var devices = new Publisher(local.port(), 200)) {
                List<String> sent = new ArrayList<>();
                for (int i = 0; i < 250; i++) {
                    sent.add(publish(devices, i, 10));
                }
                devices.drain(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(10)).until(() -> bridge.bridge().spool().entryCount() >= 250);
                cloud.start();
                try (var recorder = new Recorder(cloud.plainPort(), "cloud-recorder", "dt/#")) {
                    recorder.awaitDistinct(250, Duration.ofSeconds(60));
                    assertThat(recorder.missing(sent)).isEmpty();
                    assertThat(mostInOneSecond(recorder.arrivals())).as("arrivals in any one second")
                            .isLessThanOrEqualTo(limit);
                }
            }
        }
    }

    /** The most arrivals within any one-second window [t, t + 1 s), the limiter's definition. */
    private static int mostInOneSecond(List<Recorder.Arrival> arrivals) {
        List<Long> times = arrivals.stream().map(Recorder.Arrival::nanos).sorted(Comparator.naturalOrder()).toList();
        int most = 0;
        int to = 0;
        for (int from = 0; from < times.size(); from++) {
            while (to < times.size() && times.get(to) - times.get(from) < 1_000_000_000L) {
                to++;
            }
            most = Math.max(most, to - from);
        }
        return most;
    }

    @Test
    void rotatingTheCertificateFiles_switchesTheConnectionToTheNewCertificate() throws Exception {
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var cloud = new IotCoreStandIn(dir.resolve("iot"), server, pki).start();
                var recorder = new Recorder(cloud.plainPort(), "cloud-recorder", "dt/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), cloud.tlsPort(), "", ""));
                var devices = new Publisher(local.port(), 50)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                sent.add(publish(devices, i, 10));
            }
            recorder.awaitDistinct(100, Duration.ofSeconds(30));
            assertThat(cloud.clientCertificates()).containsOnly("CN=gateway-1");

            useClientCertificate(pki.client("gateway-1-rotated"));
            await().atMost(Duration.ofSeconds(30)).until(() -> cloud.clientCertificates().contains("CN=gateway-1-rotated"));
            for (int i = 100; i < 300; i++) {
                sent.add(publish(devices, i, 10));
            }
            devices.drain(30, TimeUnit.SECONDS);
            recorder.awaitDistinct(300, Duration.ofSeconds(60));
            assertThat(recorder.missing(sent)).isEmpty();
            List<String> subjects = cloud.clientCertificates();
            assertThat(subjects.get(subjects.size() - 1)).isEqualTo("CN=gateway-1-rotated");
        }
    }
}
