package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgebridge.core.support.EdgeBridgeVersion;
import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.TestBridge;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** {@code /status} and {@code /health/*} of a running bridge, and while it stops. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminStatusIntegrationTest {

    private static final int MESSAGES = 42;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String config(int localPort, int deadPort) {
        return Configs.embeddedToFile(dir, localPort) + """
                  cloud:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    required: false
                    probe: { topic: gw/probe, interval: 5s }
                    connectTimeout: 1s
                    reconnect: { min: 1s, max: 1s }
                routes:
                  - { name: telemetry, from: sensors/<deviceId>/data, sink: out, topic: out/<deviceId> }
                  - name: commands
                    direction: downstream
                    from: { sink: cloud, topic: commands/<deviceId> }
                    to: devices/<deviceId>/commands
                """.formatted(deadPort);
    }

    @Test
    void status_describesVersionConfigLocalSinksRoutesAndSpool() throws Exception {
        int localPort = Ports.free();
        Instant before = Instant.now();
        try (var bridge = TestBridge.start(dir, config(localPort, Ports.free()))) {
            AdminClient admin = new AdminClient(bridge.adminPort());
            try (var devices = new Publisher(localPort, 10)) {
                for (int i = 0; i < MESSAGES; i++) {
                    devices.publish("sensors/d1/data", "m" + i);
                }
                devices.drain(10, TimeUnit.SECONDS);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.count("edgebridge.messages.forwarded") == MESSAGES);

            HttpResponse<String> response = admin.get("/status");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
            // Nothing is appended now, but the spool's maintenance may reclaim delivered entries at any
            // moment: what /status says lies between the spool's figures just before and just after.
            long entriesBefore = bridge.bridge().spool().entryCount();
            long bytesBefore = bridge.bridge().spool().bytes();
            JsonNode status = admin.json("/status");
            long entriesAfter = bridge.bridge().spool().entryCount();
            long bytesAfter = bridge.bridge().spool().bytes();

            assertThat(fields(status)).containsExactly("version", "startedAt", "uptime", "live", "ready", "config",
                    "local", "sinks", "routes", "spool");
            assertThat(status.get("version").asText()).isEqualTo(EdgeBridgeVersion.get()).isNotEqualTo("unknown");
            assertThat(Instant.parse(status.get("startedAt").asText())).isAfterOrEqualTo(before.minusSeconds(1));
            assertThat(status.get("uptime").isIntegralNumber()).isTrue();
            assertThat(status.get("uptime").asLong()).isBetween(0L, 120L);
            assertThat(status.get("live").asBoolean()).isTrue();
            assertThat(status.get("ready").asBoolean()).as("cloud is down, but not required").isTrue();

            JsonNode config = status.get("config");
            assertThat(config.get("version").asInt()).isEqualTo(1);
            assertThat(config.get("fingerprint").asText()).isEqualTo(bridge.bridge().config().fingerprint()).isNotBlank();
            assertThat(Instant.parse(config.get("loadedAt").asText())).isAfterOrEqualTo(before.minusSeconds(1));
            assertThat(config.get("files")).hasSize(1);
            assertThat(config.get("files").get(0).asText()).isEqualTo(dir.resolve("edgebridge.yaml").toString());

            assertThat(status.get("local").get("connected").asBoolean()).isTrue();

            JsonNode sinks = status.get("sinks");
            assertThat(fields(sinks)).containsExactly("out", "cloud");
            JsonNode out = sinks.get("out");
            assertThat(out.get("type").asText()).isEqualTo("file");
            assertThat(out.get("connected").asBoolean()).isTrue();
            assertThat(out.get("required").asBoolean()).isTrue();
            assertThat(out.get("ready").asBoolean()).isTrue();
            assertThat(out.get("problem").isNull()).isTrue();
            assertThat(Instant.parse(out.get("lastSuccess").asText())).isAfterOrEqualTo(before);
            assertThat(out.get("inFlight").asInt()).isZero();
            assertThat(out.get("backlog").asLong()).isZero();
            assertThat(out.has("probe")).isFalse();

            JsonNode cloud = sinks.get("cloud");
            assertThat(cloud.get("type").asText()).isEqualTo("mqtt");
            assertThat(cloud.get("connected").asBoolean()).isFalse();
            assertThat(cloud.get("required").asBoolean()).isFalse();
            assertThat(cloud.get("ready").asBoolean()).isFalse();
            assertThat(cloud.get("problem").asText()).isEqualTo("not connected");
            assertThat(cloud.get("lastSuccess").isNull()).isTrue();
            JsonNode probe = cloud.get("probe");
            assertThat(probe.get("topic").asText()).isEqualTo("gw/probe");
            assertThat(probe.get("interval").asText()).isEqualTo("PT5S");
            assertThat(Instant.parse(probe.get("lastSent").asText())).isAfterOrEqualTo(before);
            assertThat(probe.get("lastOk").isNull()).isTrue();
            assertThat(probe.get("outstanding").asBoolean()).isTrue();
            JsonNode downstream = cloud.get("downstream"); // the sink of the downstream route 'commands'
            assertThat(downstream.get("received").asLong()).isZero();
            assertThat(downstream.get("redelivered").asLong()).isZero();
            assertThat(downstream.get("forwarded").asLong()).isZero();
            assertThat(downstream.get("dropped").size()).isZero();
            assertThat(out.has("downstream")).isFalse();

            JsonNode routes = status.get("routes");
            assertThat(fields(routes)).containsExactly("telemetry", "commands");
            JsonNode telemetry = routes.get("telemetry");
            assertThat(telemetry.get("direction").asText()).isEqualTo("upstream");
            assertThat(telemetry.get("received").asLong()).isEqualTo(MESSAGES);
            assertThat(telemetry.get("forwarded").asLong()).isEqualTo(MESSAGES);
            assertThat(telemetry.get("failed").asLong()).isZero();
            assertThat(telemetry.get("dropped").asLong()).isZero();
            assertThat(telemetry.get("deadLettered").asLong()).isZero();
            assertThat(routes.get("commands").get("direction").asText()).isEqualTo("downstream");
            assertThat(routes.get("commands").get("received").asLong()).isZero();

            JsonNode spool = status.get("spool");
            assertThat(spool.get("entries").asLong()).isBetween(entriesAfter, entriesBefore);
            assertThat(spool.get("bytes").asLong()).isBetween(bytesAfter, bytesBefore);

            assertThat(admin.get("/health/ready").statusCode()).isEqualTo(200);
            assertThat(admin.get("/health/live").body()).contains("\"status\" : \"live\"");
        }
    }

    @Test
    void whileStopping_healthAnswers503_thenTheServerCloses() throws Exception {
        int localPort = Ports.free();
        var bridge = TestBridge.start(dir, config(localPort, Ports.free()));
        int port = bridge.adminPort();
        AdminClient admin = new AdminClient(port);
        assertThat(admin.get("/health/live").statusCode()).isEqualTo(200);

        CompletableFuture<Void> stopped = CompletableFuture.runAsync(bridge::close);
        // The embedded broker alone takes seconds to stop; health says so from the first moment.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> admin.get("/health/live").statusCode() == 503);
        HttpResponse<String> ready = admin.get("/health/ready");
        if (!stopped.isDone()) {
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("\"stopping\"");
        }
        stopped.get(60, TimeUnit.SECONDS);
        assertThat(canConnect(port)).isFalse();
    }

    @Test
    void aTakenAdminPort_failsTheStartNamingIt_andAdminEnabledFalse_runsNoServer() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String yaml = config(Ports.free(), Ports.free()) + "admin: { port: " + taken.getLocalPort() + " }\n";
            assertThatThrownBy(() -> TestBridge.start(dir.resolve("busy"), yaml))
                    .hasMessageContaining("the admin server cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("admin.enabled: false");
        }
        try (var bridge = TestBridge.start(dir.resolve("off"),
                config(Ports.free(), Ports.free()) + "admin: { enabled: false }\n")) {
            assertThat(bridge.bridge().adminPort()).isEmpty();
            assertThat(bridge.bridge().health().report().ready()).isTrue();
        }
    }

    private static boolean canConnect(int port) {
        try (var socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static List<String> fields(JsonNode node) {
        return StreamSupport.stream(((Iterable<String>) node::fieldNames).spliterator(), false).toList();
    }
}
