package io.edgebridge.core.internal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.core.internal.mqtt.MqttLinks;
import io.edgebridge.core.testing.LocalResponder;
import io.edgebridge.core.testing.Mosquitto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** MQTT 5 request/response through the bridge's session on the local broker (direct methods). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalRequestTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private static ExternalLocalBroker broker(int port, MqttVersion version) throws Exception {
        MqttEndpointConfig endpoint = new MqttEndpointConfig("127.0.0.1", port, false, "bridge/one+", Optional.empty(),
                Optional.empty(), Optional.empty(), version, Duration.ofMinutes(1), Duration.ofSeconds(60),
                Duration.ofSeconds(10), new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0.2));
        return new ExternalLocalBroker(MqttLinks.create(endpoint, "local", 100), "bridge/one+", Optional.empty());
    }

    @Test
    void aRequestCarriesAResponseTopicAndCorrelationData_andCompletesWithTheMatchingAnswer() throws Exception {
        try (var mosquitto = new Mosquitto(dir).start();
                var device = new LocalResponder(mosquitto.port(), "device", "devices/+/rpc/#",
                        request -> new LocalResponder.Answer("{\"ok\":" + LocalResponder.text(request) + "}",
                                Map.of("status", "201")))) {
            ExternalLocalBroker broker = broker(mosquitto.port(), MqttVersion.V5);
            try {
                broker.start((topic, payload, qos, retain) -> CompletableFuture.completedFuture(null), List.of())
                        .get(10, TimeUnit.SECONDS);
                List<CompletableFuture<LocalResponse>> answers = List.of(
                        broker.request("devices/d1/rpc/reboot", "1".getBytes(StandardCharsets.UTF_8),
                                Map.of("method", "reboot"), Duration.ofSeconds(10)),
                        broker.request("devices/d2/rpc/reboot", "2".getBytes(StandardCharsets.UTF_8),
                                Map.of(), Duration.ofSeconds(10)));

                assertThat(new String(answers.get(0).get(10, TimeUnit.SECONDS).payload(), StandardCharsets.UTF_8))
                        .isEqualTo("{\"ok\":1}");
                LocalResponse second = answers.get(1).get(10, TimeUnit.SECONDS);
                assertThat(new String(second.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":2}");
                assertThat(second.userProperties()).containsEntry("status", "201")
                        .doesNotContainKey(Intake.HOP_MARKER);
                var request = device.requests().stream()
                        .filter(r -> r.getTopic().toString().equals("devices/d1/rpc/reboot")).findFirst().orElseThrow();
                assertThat(request.getResponseTopic()).map(Object::toString)
                        .contains("edgebridge/responses/bridge_one_");
                assertThat(request.getCorrelationData()).isPresent();
                assertThat(request.getUserProperties().asList()).anyMatch(p -> p.getName().toString().equals("method"));
            } finally {
                broker.close();
            }
        }
    }

    @Test
    void aSilentDevice_timesOut() throws Exception {
        try (var mosquitto = new Mosquitto(dir).start();
                var silent = new LocalResponder(mosquitto.port(), "device", "devices/+/rpc/#", request -> null)) {
            ExternalLocalBroker broker = broker(mosquitto.port(), MqttVersion.V5);
            try {
                broker.start((topic, payload, qos, retain) -> CompletableFuture.completedFuture(null), List.of())
                        .get(10, TimeUnit.SECONDS);
                long start = System.nanoTime();
                Throwable error = catchThrowable(() -> broker.request("devices/d1/rpc/x", new byte[0], Map.of(),
                        Duration.ofMillis(700)).get(10, TimeUnit.SECONDS));
                assertThat(error).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(LocalRequestTimeoutException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(700));
                assertThat(silent.requests()).hasSize(1);
            } finally {
                broker.close();
            }
        }
    }

    @Test
    void anMqtt311Session_cannotMakeRequests() throws Exception {
        try (var mosquitto = new Mosquitto(dir).start()) {
            ExternalLocalBroker broker = broker(mosquitto.port(), MqttVersion.V3_1_1);
            try {
                broker.start((topic, payload, qos, retain) -> CompletableFuture.completedFuture(null), List.of())
                        .get(10, TimeUnit.SECONDS);
                Throwable error = catchThrowable(() -> broker.request("devices/d1/rpc/x", new byte[0], Map.of(),
                        Duration.ofSeconds(5)).get(1, TimeUnit.SECONDS));
                assertThat(error).hasMessageContaining("MQTT 3.1.1").hasMessageContaining("MQTT 5");
            } finally {
                broker.close();
            }
        }
    }
}
