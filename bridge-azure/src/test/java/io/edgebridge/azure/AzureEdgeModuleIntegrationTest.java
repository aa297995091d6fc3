package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.edgebridge.core.testing.BridgeProcess;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestCertificates;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * {@code mode: edge-module} with the real Azure device SDK: EdgeBridge runs in its own JVM with the
 * IoT Edge runtime's {@code IOTEDGE_*} environment ({@code ModuleClient.createFromEnvironment} reads
 * the process environment), the workload API is {@link EdgeWorkloadStandIn} (trust bundle and SAS
 * signing) and the edgeHub is {@link IotHubStandIn}, named by {@code IOTEDGE_GATEWAYHOSTNAME}
 * (hub-N.azure-devices.net, resolved to 127.0.0.N:8883 by the test hosts file). The sink has no
 * {@code ca}: the SDK must trust the edgeHub through the trust bundle, as on a real edge device.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class AzureEdgeModuleIntegrationTest {

    private static final String DEVICE = "edge-device-1";
    private static final String MODULE = "edgebridge";
    private static final String GENERATION = "637412345678901234";
    private static final String IOT_HUB = "contoso-hub.azure-devices.net";
    private static final String OUTPUT = "telemetryOut";
    private static final byte[] MODULE_KEY = "edgebridge-test-module-identity-key".getBytes(StandardCharsets.UTF_8);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String yaml(int localPort) {
        return AzureFixture.head(dir.resolve("data"), localPort, "edgebridge-module") + """
                sinks:
                  edgehub:
                    type: azure-iot-hub
                    mode: edge-module
                    output: %s
                    c2dTopic: inputs/<deviceId>
                    c2dTimeout: 30s
                    sendTimeout: 20s
                    reconnect: { min: 100ms, max: 1s }
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: edgehub
                    topic: telemetry
                  - name: commands
                    direction: downstream
                    from: { sink: edgehub, topic: inputs/<deviceId> }
                    to: devices/<deviceId>/commands
                """.formatted(OUTPUT);
    }

    private static BridgeProcess module(Path config, Path log, EdgeWorkloadStandIn workload, IotHubStandIn edgeHub) {
        String hosts = System.getProperty("jdk.net.hosts.file");
        assertThat(hosts).as("the test hosts file (surefire argLine, see bridge-azure/pom.xml)").isNotNull();
        // What the IoT Edge runtime (aziot-edged) sets for a module with SAS authentication.
        return new BridgeProcess(config, log, "-Xmx256m", "-Djdk.net.hosts.file=" + hosts)
                .withEnvironment("IOTEDGE_WORKLOADURI", workload.uri())
                .withEnvironment("IOTEDGE_DEVICEID", DEVICE)
                .withEnvironment("IOTEDGE_MODULEID", MODULE)
                .withEnvironment("IOTEDGE_MODULEGENERATIONID", GENERATION)
                .withEnvironment("IOTEDGE_IOTHUBHOSTNAME", IOT_HUB)
                .withEnvironment("IOTEDGE_GATEWAYHOSTNAME", edgeHub.hostName())
                .withEnvironment("IOTEDGE_APIVERSION", "2019-01-30")
                .withEnvironment("IOTEDGE_AUTHSCHEME", "sasToken");
    }

    @Test
    void edgeModule_identityFromTheIotEdgeEnvironment_sendsToTheNamedOutput_andRelaysModuleInputs() throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "test-edge-ca");
        Path config = dir.resolve("edgebridge.yaml");
        Path log = dir.resolve("edgebridge.log");
        String events = "devices/" + DEVICE + "/modules/" + MODULE + "/messages/events/";
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var workload = new EdgeWorkloadStandIn(pki.caCertificate(), MODULE_KEY).start();
                var edgeHub = new IotHubStandIn(dir.resolve("edgehub"), pki).start();
                var cloud = new Recorder(edgeHub.plainPort(), "cloud-recorder", "devices/+/modules/+/messages/events/#");
                var localRecorder = new Recorder(local.port(), "local-recorder", "devices/+/commands")) {
            Files.writeString(config, yaml(local.port()));
            try (var bridge = module(config, log, workload, edgeHub).start().awaitStarted(Duration.ofSeconds(90));
                    var devices = new Publisher(local.port(), 50)) {
                List<String> sent = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    String device = "dev" + (i % 3);
                    String payload = "{\"device\":\"" + device + "\",\"n\":" + i + "}";
                    devices.publish("devices/" + device + "/telemetry", payload);
                    sent.add(payload);
                }
                devices.drain(60, TimeUnit.SECONDS);
                await("telemetry at the edgeHub (EdgeBridge log: " + log + ")").atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(200)).until(() -> cloud.missing(sent).isEmpty());

                // The SDK built its identity from the workload API: trust bundle, then a SAS token signed there.
                assertThat(workload.trustBundleRequests()).isNotEmpty()
                        .allSatisfy(r -> assertThat(r.query()).containsKey("api-version"));
                List<EdgeWorkloadStandIn.Request> signs = workload.signRequests();
                assertThat(signs).isNotEmpty().allSatisfy(r -> {
                    assertThat(r.path()).isEqualTo("/modules/" + MODULE + "/genid/" + GENERATION + "/sign");
                    assertThat(r.moduleId()).isEqualTo(MODULE);
                    assertThat(r.generationId()).isEqualTo(GENERATION);
                    assertThat(r.keyId()).isEqualTo("primary");
                    assertThat(r.query()).containsKey("api-version");
                    // The SAS string to sign: <url-encoded audience>\n<expiry>, for the module identity at the hub.
                    assertThat(URLDecoder.decode(r.data(), StandardCharsets.UTF_8))
                            .startsWith(IOT_HUB + "/devices/" + DEVICE + "/modules/" + MODULE + "\n");
                });
                // ... and connected to the edgeHub (IOTEDGE_GATEWAYHOSTNAME) as the module, with that token.
                assertThat(edgeHub.records().userNames).isNotEmpty().allSatisfy(u -> assertThat(u)
                        .matches("\\Q" + IOT_HUB + "/" + DEVICE + "/" + MODULE + "/?api-version=\\E.+"));
                List<String> signatures = signs.stream()
                        .map(r -> "sig=" + URLEncoder.encode(r.digest(), StandardCharsets.UTF_8)).toList();
                assertThat(edgeHub.records().passwords).isNotEmpty().allSatisfy(pw -> {
                    assertThat(pw).startsWith("SharedAccessSignature ").contains("se=");
                    assertThat(signatures).anySatisfy(sig -> assertThat(pw).contains(sig));
                });

                // Upstream goes to the module output named in the config, with the route's properties.
                for (Mqtt5Publish p : cloud.messages()) {
                    String topic = p.getTopic().toString();
                    assertThat(topic).startsWith(events);
                    Map<String, String> properties = IotHubStandIn.eventProperties(topic);
                    String payload = new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
                    assertThat(properties).containsEntry("$.on", OUTPUT)
                            .containsEntry("deviceId", deviceOf(payload))
                            .containsEntry("topic", "telemetry");
                }

                // Messages the edgeHub routes to the module's inputs come down like cloud-to-device messages.
                try (var hub = new InputSender(edgeHub.plainPort())) {
                    await("module input relayed to the local broker").atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofSeconds(1)).until(() -> {
                                hub.send("commands", "dev7", "{\"reboot\":true}");
                                return localRecorder.received("{\"reboot\":true}");
                            });
                }
                assertThat(localRecorder.topicOf("{\"reboot\":true}")).isEqualTo("devices/dev7/commands");

                // Neither the signature nor a token is logged.
                String text = bridge.logText();
                assertThat(text).contains("connected to Azure IoT Hub");
                for (EdgeWorkloadStandIn.Request r : signs) {
                    assertThat(text).doesNotContain(r.digest())
                            .doesNotContain(URLEncoder.encode(r.digest(), StandardCharsets.UTF_8));
                }
            }
        }
    }

    /** The edgeHub side: publishes a message to a module input as edgeHub does, on the stand-in's plain listener. */
    private static final class InputSender implements AutoCloseable {
        private final Mqtt5BlockingClient client;

        InputSender(int port) {
            client = MqttClient.builder().useMqttVersion5().identifier("cloud-edgehub-inputs")
                    .serverHost("127.0.0.1").serverPort(port).buildBlocking();
            client.connect();
        }

        /** To {@code devices/<dev>/modules/<mod>/inputs/<input>/<url-encoded properties>}, starting with $.to. */
        void send(String input, String deviceId, String payload) {
            String to = "/devices/" + DEVICE + "/modules/" + MODULE + "/inputs/" + input;
            String topic = "devices/" + DEVICE + "/modules/" + MODULE + "/inputs/" + input + "/"
                    + "%24.to=" + URLEncoder.encode(to, StandardCharsets.UTF_8)
                    + "&deviceId=" + URLEncoder.encode(deviceId, StandardCharsets.UTF_8);
            client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(payload.getBytes(StandardCharsets.UTF_8)).send();
        }

        @Override
        public void close() {
            client.disconnect();
        }
    }

    private static String deviceOf(String payload) {
        return payload.substring(payload.indexOf(":\"") + 2, payload.indexOf("\","));
    }
}
