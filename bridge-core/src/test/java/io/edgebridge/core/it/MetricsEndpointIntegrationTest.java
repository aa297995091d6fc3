package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.internal.stats.PrometheusText;
import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.BridgeProcess;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code edgebridge run} in its own JVM: {@code /metrics} is valid Prometheus text whose counters
 * match exactly what was sent, and carries the latency percentiles and histogram, the JVM's meters
 * and the Netty event loops'.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MetricsEndpointIntegrationTest {

    private static final int MESSAGES = 317;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void metrics_areValidPrometheusText_andCountExactlyTheMessagesSent() throws Exception {
        int localPort = Ports.free();
        Path config = dir.resolve("edgebridge.yaml");
        Files.writeString(config, Configs.embeddedToFile(dir, localPort) + """
                routes:
                  - { name: telemetry, from: sensors/<deviceId>/data, sink: out, topic: out/<deviceId> }
                  - { name: unused, from: other/#, sink: out, topic: other }
                """);
        try (var bridge = new BridgeProcess(config, dir.resolve("bridge.log"), "-Xmx256m").start()
                .awaitStarted(Duration.ofSeconds(60))) {
            AdminClient admin = new AdminClient(bridge.adminPort());
            await("ready before sending").atMost(Duration.ofSeconds(10)).until(() -> admin.ready() == 200);
            try (var devices = new Publisher(localPort, 50)) {
                for (int i = 0; i < MESSAGES; i++) {
                    devices.publish("sensors/d" + (i % 7) + "/data", "m" + i);
                }
                devices.drain(30, TimeUnit.SECONDS);
                assertThat(devices.acked()).isEqualTo(MESSAGES);
            }
            Map<String, String> telemetry = Map.of("direction", "upstream", "route", "telemetry", "sink", "out");
            await().atMost(Duration.ofSeconds(30)).until(() -> PrometheusText.parse(admin.get("/metrics").body())
                    .value("edgebridge_messages_forwarded_total", telemetry).orElse(0) >= MESSAGES);

            HttpResponse<String> response = admin.get("/metrics");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            PrometheusText metrics = PrometheusText.parse(response.body());

            assertThat(metrics.value("edgebridge_messages_received_total",
                    Map.of("direction", "upstream", "route", "telemetry"))).hasValue(MESSAGES);
            assertThat(metrics.value("edgebridge_messages_forwarded_total", telemetry)).hasValue(MESSAGES);
            assertThat(metrics.find("edgebridge_messages_received_total", Map.of("route", "unused")))
                    .allSatisfy(s -> assertThat(s.value()).isZero());
            assertThat(metrics.value("edgebridge_delivery_latency_seconds_count", telemetry)).hasValue(MESSAGES);
            assertThat(metrics.types()).containsEntry("edgebridge_delivery_latency_seconds", "histogram")
                    .containsEntry("edgebridge_messages_forwarded_total", "counter")
                    .containsEntry("edgebridge_spool_bytes", "gauge")
                    .containsEntry("edgebridge_sink_connected", "gauge")
                    .containsEntry("edgebridge_local_connected", "gauge");
            assertThat(metrics.find("edgebridge_delivery_latency_seconds_bucket", telemetry)).hasSizeGreaterThan(10);
            assertThat(metrics.find("edgebridge_delivery_latency_percentile_seconds", telemetry))
                    .extracting(s -> s.labels().get("quantile")).containsExactlyInAnyOrder("0.5", "0.9", "0.99");
            assertThat(metrics.value("edgebridge_delivery_latency_percentile_seconds", withQuantile(telemetry, "0.99"))
                    .orElseThrow()).isPositive().isLessThan(60);
            assertThat(metrics.value("edgebridge_sink_connected", Map.of("sink", "out"))).hasValue(1);
            assertThat(metrics.value("edgebridge_local_connected", Map.of())).hasValue(1);
            // The JVM's meters and both Netty event-loop groups.
            assertThat(metrics.types()).containsKeys("jvm_memory_used_bytes", "jvm_threads_live_threads",
                    "jvm_classes_loaded_classes", "process_cpu_usage", "process_uptime_seconds", "system_cpu_count",
                    "netty_eventexecutor_tasks_pending");
            assertThat(metrics.find("netty_eventexecutor_tasks_pending", Map.of("group", "mqtt-io"))).isNotEmpty();
            assertThat(metrics.find("netty_eventexecutor_tasks_pending", Map.of("group", "admin-http"))).isNotEmpty();

            HttpResponse<String> openMetrics = admin.get("/metrics", "Accept",
                    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
            assertThat(openMetrics.headers().firstValue("content-type"))
                    .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
            assertThat(openMetrics.body()).contains("edgebridge_messages_forwarded_total").endsWith("# EOF\n");

            assertThat(bridge.terminate(Duration.ofSeconds(30))).isZero();
        }
    }

    private static Map<String, String> withQuantile(Map<String, String> labels, String quantile) {
        Map<String, String> result = new java.util.HashMap<>(labels);
        result.put("quantile", quantile);
        return result;
    }
}
