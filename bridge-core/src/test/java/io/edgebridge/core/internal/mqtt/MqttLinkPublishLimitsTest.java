package io.edgebridge.core.internal.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Recorder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publish MQTT cannot carry, or one larger than the broker takes, fails at once with a permanent
 * error and never reaches the wire: the broker would drop the connection for it, and the link would
 * send it again after every reconnect (issue 14, finding 2).
 */
@Timeout(60)
class MqttLinkPublishLimitsTest {

    @TempDir
    static Path dir;

    private static Mosquitto broker;

    @BeforeAll
    static void start() {
        broker = new Mosquitto(dir.resolve("broker")).withConfig("max_packet_size 20000").start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static MqttLink link(MqttVersion version) throws Exception {
        MqttEndpointConfig endpoint = new MqttEndpointConfig("127.0.0.1", broker.port(), false,
                "limits-" + version, Optional.empty(), Optional.empty(), Optional.empty(), version, Duration.ZERO,
                Duration.ofSeconds(30), Duration.ofSeconds(2), new Backoff(Duration.ofMillis(50), Duration.ofMillis(100), 0));
        MqttLink link = MqttLinks.create(endpoint, "test", 10);
        link.onMessage(IncomingMessage::ack);
        link.connect().get(10, TimeUnit.SECONDS);
        return link;
    }

    private static OutgoingMessage message(String topic, int payload, Map<String, String> properties) {
        return new OutgoingMessage(topic, new byte[payload], 1, false, properties, Optional.empty());
    }

    @Test
    void invalidAndOversizedPublishes_failAtOnce_andTheConnectionStaysUp() throws Exception {
        try (LogCapture logs = LogCapture.start(); Recorder recorder = new Recorder(broker.port(), "limits-recorder", "t/#")) {
            MqttLink link = link(MqttVersion.V5);
            CompletableFuture<Void> longProperty = link.publish(message("t/1", 10,
                    Map.of("source", "s".repeat(65_540))));
            CompletableFuture<Void> nul = link.publish(message("t/\u0000", 10, Map.of()));
            CompletableFuture<Void> tooLarge = link.publish(message("t/2", 30_000, Map.of()));
            CompletableFuture<Void> fine = link.publish(new OutgoingMessage("t/ok",
                    "fine".getBytes(StandardCharsets.UTF_8), 1, false, Map.of(), Optional.empty()));

            assertThat(longProperty).failsWithin(5, TimeUnit.SECONDS).withThrowableThat().havingCause()
                    .isInstanceOf(InvalidPublishException.class).withMessageContaining("user property 'source'");
            assertThat(nul).failsWithin(5, TimeUnit.SECONDS).withThrowableThat().havingCause()
                    .isInstanceOf(InvalidPublishException.class).withMessageContaining("NUL");
            assertThat(tooLarge).failsWithin(5, TimeUnit.SECONDS).withThrowableThat().havingCause()
                    .isInstanceOf(PacketTooLargeException.class).withMessageContaining("maximum packet size of 20000");
            fine.get(5, TimeUnit.SECONDS);
            recorder.awaitDistinct(1, Duration.ofSeconds(5));
            assertThat(link.isConnected()).isTrue();
            assertThat(logs.lines()).noneMatch(l -> l.contains("disconnected"));
            link.disconnect().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anMqtt311Link_refusesATopicLongerThanMqttAllows() throws Exception {
        try (LogCapture logs = LogCapture.start()) {
            MqttLink link = link(MqttVersion.V3_1_1);
            assertThat(link.publish(message("t/" + "a".repeat(65_534), 1, Map.of())))
                    .failsWithin(5, TimeUnit.SECONDS).withThrowableThat().havingCause()
                    .isInstanceOf(InvalidPublishException.class).withMessageContaining("65536 UTF-8 bytes");
            link.publish(message("t/ok", 1, Map.of())).get(5, TimeUnit.SECONDS);
            assertThat(logs.lines()).noneMatch(l -> l.contains("disconnected"));
            link.disconnect().get(5, TimeUnit.SECONDS);
        }
    }
}
