package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.core.internal.ConfigReloader;
import io.edgebridge.core.internal.SinkFactories;
import io.edgebridge.core.testing.LocalResponder;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Direct methods and the device twin, with the real Azure device SDK against the IoT Hub stand-in
 * (which answers the SDK's {@code $iothub/twin/...} requests and invokes {@code $iothub/methods/...}),
 * and Mosquitto as the local broker.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AzureMethodsAndTwinIntegrationTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private TestCertificates pki;

    @BeforeEach
    void certificates() {
        pki = TestCertificates.newCa(dir.resolve("pki"), "test-hub-ca");
    }

    private String yaml(int localPort, IotHubStandIn hub, String sinkExtra, String routes) {
        return AzureFixture.head(dir.resolve("data"), localPort, "edgebridge-test") + "sinks:\n"
                + AzureFixture.hubSink(hub, pki) + sinkExtra + "routes:\n" + routes;
    }

    @Test
    void directMethods_roundTripThroughALocalResponder_unroutedGet404_silentDevicesGet504() throws Exception {
        String sinkExtra = """
                    methodTopic: methods/<deviceId>/<method>
                    methodTimeout: 2s
                """;
        String routes = """
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: hub
                    topic: telemetry
                  - name: reboot
                    direction: downstream
                    from: { sink: hub, topic: methods/<deviceId>/reboot }
                    to: devices/<deviceId>/rpc/reboot
                """;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var hub = new IotHubStandIn(dir.resolve("hub"), pki).start();
                var device = new LocalResponder(local.port(), "device", "devices/+/rpc/#", request ->
                        request.getTopic().toString().startsWith("devices/silent/") ? null
                                : new LocalResponder.Answer("{\"rebooted\":true,\"asked\":" + LocalResponder.text(request)
                                        + "}", Map.of("status", "202")));
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), hub, sinkExtra, routes))) {
            // The SDK subscribes to methods once it is connected: call until the first answer comes.
            IotHubStandIn.MethodResult answered = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> hub.invokeMethod("reboot", "{\"deviceId\":\"dev1\",\"delay\":5}")
                            .get(3, TimeUnit.SECONDS), r -> r != null);
            assertThat(answered.status()).isEqualTo(202);
            JsonObject body = JsonParser.parseString(answered.payload()).getAsJsonObject();
            assertThat(body.get("rebooted").getAsBoolean()).isTrue();
            assertThat(body.getAsJsonObject("asked").get("delay").getAsInt()).isEqualTo(5);
            var request = device.requests().get(device.requests().size() - 1);
            assertThat(request.getTopic().toString()).isEqualTo("devices/dev1/rpc/reboot");
            assertThat(request.getResponseTopic()).isPresent();
            assertThat(request.getCorrelationData()).isPresent();
            assertThat(bridge.count("edgebridge.azure.methods", "sink", "hub", "result", "answered")).isGreaterThanOrEqualTo(1);

            IotHubStandIn.MethodResult unrouted = hub.invokeMethod("selfdestruct", "{\"deviceId\":\"dev1\"}")
                    .get(20, TimeUnit.SECONDS);
            assertThat(unrouted.status()).isEqualTo(404);
            assertThat(unrouted.payload()).contains("no route for method 'selfdestruct'");
            assertThat(bridge.count("edgebridge.azure.methods", "sink", "hub", "result", "no-route")).isEqualTo(1);

            IotHubStandIn.MethodResult invalid = hub.invokeMethod("reboot", "{\"deviceId\":\"a/b\"}")
                    .get(20, TimeUnit.SECONDS);
            assertThat(invalid.status()).isEqualTo(400);
            assertThat(bridge.count("edgebridge.azure.methods", "sink", "hub", "result", "invalid")).isEqualTo(1);

            int requestsBefore = device.requests().size();
            long start = System.nanoTime();
            IotHubStandIn.MethodResult silent = hub.invokeMethod("reboot", "{\"deviceId\":\"silent\"}")
                    .get(20, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(silent.status()).isEqualTo(504);
            assertThat(took).as("504 once the 2 s methodTimeout passed, not before")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(2)).isLessThan(Duration.ofSeconds(15));
            assertThat(device.requests()).hasSize(requestsBefore + 1);
            assertThat(bridge.count("edgebridge.azure.methods", "sink", "hub", "result", "timeout")).isEqualTo(1);
        }
    }

    @Test
    void desiredRoutes_changeTheRoutesLive_andAnInvalidPatchIsRefusedAndReported() throws Exception {
        String sinkExtra = """
                    twin: { routes: true, reportInterval: 5s }
                """;
        String routes = """
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: hub
                    topic: telemetry
                """;
        try (var local = new Mosquitto(dir.resolve("local")).start();
                var hub = new IotHubStandIn(dir.resolve("hub"), pki).start();
                var recorder = new Recorder(hub.plainPort(), "cloud-recorder", "devices/+/messages/events/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(local.port(), hub, sinkExtra, routes));
                var reloader = new ConfigReloader(bridge.bridge(), new ConfigLoader(SinkFactories.load()), bridge.file());
                var devices = new Publisher(local.port(), 10)) {
            String fileHash = bridge.bridge().config().fingerprint();
            await().atMost(Duration.ofSeconds(60)).until(() -> reportedHash(hub).equals(fileHash));
            assertThat(reported(hub).getAsJsonObject("config").get("routesSource").getAsString()).isEqualTo("files");

            hub.patchDesired("""
                    {"routes": {"telemetry": {"from": "devices/<deviceId>/telemetry", "sink": "hub", "topic": "telemetry-v2",
                                              "properties": {"deviceId": "<deviceId>", "qos": 1}}}}
                    """);
            int patched = hub.desiredVersion();
            await().atMost(Duration.ofSeconds(60)).until(() -> bridge.bridge().configVersion() == 2);
            String twinHash = bridge.bridge().config().fingerprint();
            assertThat(twinHash).isNotEqualTo(fileHash);
            await().atMost(Duration.ofSeconds(30)).until(() -> reportedHash(hub).equals(twinHash));
            JsonObject ack = reported(hub).getAsJsonObject("routes");
            assertThat(ack.get("ac").getAsInt()).isEqualTo(200);
            assertThat(ack.get("av").getAsInt()).isEqualTo(patched);
            assertThat(reported(hub).getAsJsonObject("config").get("routesSource").getAsString()).isEqualTo("twin");

            devices.publish("devices/dev1/telemetry", "after-patch").join();
            recorder.awaitDistinct(1, Duration.ofSeconds(60));
            assertThat(IotHubStandIn.eventProperties(recorder.topicOf("after-patch")))
                    .containsEntry("topic", "telemetry-v2").containsEntry("qos", "1");

            hub.patchDesired("""
                    {"routes": {"telemetry": {"sink": "nosuch", "topic": "x/<kind>"}}}
                    """);
            int refused = hub.desiredVersion();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                JsonObject routesAck = reported(hub).getAsJsonObject("routes");
                return routesAck != null && routesAck.get("av").getAsInt() == refused;
            });
            JsonObject refusal = reported(hub).getAsJsonObject("routes");
            assertThat(refusal.get("ac").getAsInt()).isEqualTo(400);
            assertThat(refusal.get("ad").getAsString()).contains("still running configuration version 2")
                    .contains("twin of sink hub:").contains("nosuch");
            assertThat(reported(hub).getAsJsonObject("config").get("lastError").getAsString()).contains("nosuch");
            assertThat(bridge.bridge().configVersion()).isEqualTo(2);
            assertThat(bridge.bridge().config().fingerprint()).isEqualTo(twinHash);

            devices.publish("devices/dev2/telemetry", "after-refusal").join();
            recorder.awaitDistinct(2, Duration.ofSeconds(60));
            assertThat(IotHubStandIn.eventProperties(recorder.topicOf("after-refusal")))
                    .containsEntry("topic", "telemetry-v2");

            // Stats are reported too.
            await().atMost(Duration.ofSeconds(30)).until(() -> reported(hub).getAsJsonObject("stats")
                    .getAsJsonObject("upstream").get("forwarded").getAsLong() >= 2);

            // A reload of the files keeps the twin's routes in force...
            java.nio.file.Files.writeString(bridge.file(), TestBridge.withEphemeralAdminPort(
                    yaml(local.port(), hub, sinkExtra + "    c2dTimeout: 30s\n", routes.replace("topic: telemetry",
                            "topic: telemetry-file"))));
            reloader.requestReload("test");
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.bridge().configVersion() == 3);
            devices.publish("devices/dev3/telemetry", "after-file-reload").join();
            recorder.awaitDistinct(3, Duration.ofSeconds(60));
            assertThat(IotHubStandIn.eventProperties(recorder.topicOf("after-file-reload")))
                    .containsEntry("topic", "telemetry-v2");

            // ...until the twin drops them: then the files' routes apply.
            hub.patchDesired("{\"routes\": null}");
            await().atMost(Duration.ofSeconds(60)).until(() -> bridge.bridge().configVersion() == 4);
            await().atMost(Duration.ofSeconds(30)).until(() -> "files".equals(
                    reported(hub).getAsJsonObject("config").get("routesSource").getAsString()));
            devices.publish("devices/dev4/telemetry", "after-drop").join();
            recorder.awaitDistinct(4, Duration.ofSeconds(60));
            assertThat(IotHubStandIn.eventProperties(recorder.topicOf("after-drop")))
                    .containsEntry("topic", "telemetry-file");
        }
    }

    private static JsonObject reported(IotHubStandIn hub) {
        JsonObject all = hub.reported();
        return all.has(AzureTwin.REPORTED) ? all.getAsJsonObject(AzureTwin.REPORTED) : new JsonObject();
    }

    private static String reportedHash(IotHubStandIn hub) {
        JsonObject config = reported(hub).getAsJsonObject("config");
        return config == null || !config.has("hash") ? "" : config.get("hash").getAsString();
    }
}
