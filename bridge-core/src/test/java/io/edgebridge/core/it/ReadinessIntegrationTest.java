package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.MqttStandIn;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.TestBridge;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /health/ready} against a cloud endpoint that keeps its TCP connection (and answers pings)
 * but stops acknowledging: unready within {@code admin.readyWindow}, ready again once it
 * acknowledges; and probes that keep an idle sink proven.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadinessIntegrationTest {

    private static final Duration WINDOW = Duration.ofSeconds(3);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String config(int cloudPort, String probe) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                admin: { port: 0, readyWindow: 3s }
                local:
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory }
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    protocol: "3.1.1"
                    keepAlive: 2s
                    reconnect: { min: 100ms, max: 1s }
                %s
                routes:
                  - { name: telemetry, from: sensors/<deviceId>/data, sink: cloud, topic: cloud/<deviceId> }
                """.formatted(dir.resolve("data"), Ports.free(), cloudPort, probe.indent(4).stripTrailing());
    }

    @Test
    void aSinkThatStopsAcknowledging_makesTheBridgeUnreadyWithinTheWindow_andReadyAgainWhenItRecovers()
            throws Exception {
        try (var cloud = new MqttStandIn(false);
                var bridge = TestBridge.start(dir, config(cloud.port(), ""))) {
            AdminClient admin = new AdminClient(bridge.adminPort());
            int local = bridge.bridge().config().local().endpoint().port();
            await("an idle, connected bridge is ready").atMost(Duration.ofSeconds(10)).until(() -> admin.ready() == 200);

            try (var devices = new Publisher(local, 10)) {
                for (int i = 0; i < 5; i++) {
                    devices.publish("sensors/d" + i + "/data", "m" + i);
                }
                devices.drain(10, TimeUnit.SECONDS);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> cloud.topics().size() == 5);

            // Keep-alive pings are answered, so the connection stays up: only the missing acks tell.
            await("unready within the window").atMost(WINDOW.plusSeconds(5)).until(() -> admin.ready() == 503);
            HttpResponse<String> unready = admin.get("/health/ready");
            assertThat(unready.headers().firstValue("content-type")).hasValue("application/json");
            JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(unready.body());
            assertThat(body.get("status").asText()).isEqualTo("not ready");
            assertThat(body.get("failed").get(0).get("check").asText()).isEqualTo("sink:cloud");
            assertThat(body.get("failed").get(0).get("reason").asText()).startsWith("stalled: 5 sends open");
            JsonNode sink = admin.json("/status").get("sinks").get("cloud");
            assertThat(sink.get("connected").asBoolean()).isTrue();
            assertThat(sink.get("ready").asBoolean()).isFalse();
            assertThat(sink.get("inFlight").asInt()).isEqualTo(5);
            assertThat(cloud.connections()).isEqualTo(1);

            cloud.startAcknowledging();
            await("ready again").atMost(Duration.ofSeconds(10)).until(() -> admin.ready() == 200);
            await().atMost(Duration.ofSeconds(5)).until(() -> bridge.count("edgebridge.messages.forwarded") == 5);
        }
    }

    @Test
    void aProbe_keepsAnIdleSinkProven() throws Exception {
        try (var cloud = new MqttStandIn(true);
                var bridge = TestBridge.start(dir, config(cloud.port(), "probe: {topic: gw/probe, interval: 1s}"))) {
            AdminClient admin = new AdminClient(bridge.adminPort());

            await().atMost(Duration.ofSeconds(15)).until(() -> bridge.count("edgebridge.probes", "result", "ok") >= 4);
            assertThat(admin.ready()).isEqualTo(200);
            assertThat(cloud.topics()).isNotEmpty().allMatch("gw/probe"::equals);
            assertThat(cloud.payloads().get(0)).contains("\"sink\":\"cloud\"");
            assertThat(bridge.count("edgebridge.probes", "result", "failed")).isZero();
            assertThat(bridge.count("edgebridge.messages.forwarded")).as("probes are not routed messages").isZero();
            JsonNode probe = admin.json("/status").get("sinks").get("cloud").get("probe");
            assertThat(probe.get("topic").asText()).isEqualTo("gw/probe");
            assertThat(probe.get("lastOk").isTextual()).isTrue();
        }
    }

    @Test
    void aProbeNeverAcknowledged_makesAnIdleSinkUnready_untilTheEndpointAcknowledges() throws Exception {
        try (var cloud = new MqttStandIn(false);
                var bridge = TestBridge.start(dir, config(cloud.port(), "probe: {topic: gw/probe, interval: 1s}"))) {
            AdminClient admin = new AdminClient(bridge.adminPort());

            // (Under load the 2 s keep-alive may time out once and make it unready for "not connected" first.)
            await().atMost(WINDOW.plusSeconds(10)).until(() -> admin.ready() == 503
                    && admin.get("/health/ready").body().contains("a probe unanswered"));
            assertThat(bridge.count("edgebridge.messages.forwarded")).isZero();

            cloud.startAcknowledging();
            await().atMost(Duration.ofSeconds(10)).until(() -> admin.ready() == 200);
            assertThat(bridge.count("edgebridge.probes", "result", "ok")).isGreaterThanOrEqualTo(1);
        }
    }
}
