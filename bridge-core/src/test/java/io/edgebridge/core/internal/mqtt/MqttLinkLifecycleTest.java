package io.edgebridge.core.internal.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class MqttLinkLifecycleTest {

    @TempDir
    Path dir;

    private static MqttEndpointConfig endpoint(int port, MqttVersion version) {
        return endpoint(port, version, Duration.ofSeconds(30));
    }

    private static MqttEndpointConfig endpoint(int port, MqttVersion version, Duration keepAlive) {
        return new MqttEndpointConfig("127.0.0.1", port, false, "lifecycle-test", Optional.empty(), Optional.empty(),
                Optional.empty(), version, Duration.ZERO, keepAlive, Duration.ofSeconds(2),
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(100), 0));
    }

    /** A one-second keep-alive once timed out the reader at the same second as the ping: a reconnect a second. */
    @ParameterizedTest
    @EnumSource(MqttVersion.class)
    void shortKeepAlive_idleLinkStaysConnected(MqttVersion version) throws Exception {
        try (Mosquitto broker = new Mosquitto(dir.resolve("broker")).start()) {
            MqttLink link = MqttLinks.create(endpoint(broker.port(), version, Duration.ofSeconds(1)), "test", 10);
            link.onMessage(m -> m.ack());
            link.connect().get(10, TimeUnit.SECONDS);
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(10))
                    .until(link::isConnected);
            link.disconnect().get(5, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @EnumSource(MqttVersion.class)
    void disconnectWhileStillRetrying_stopsTheRetries_forGood(MqttVersion version) throws Exception {
        int port = Ports.free();
        MqttLink link = MqttLinks.create(endpoint(port, version), "test", 10);
        link.onMessage(m -> m.ack());
        link.connect();
        link.disconnect().get(5, TimeUnit.SECONDS);

        // A broker appears where the link was retrying: a closed link must not connect to it.
        try (Mosquitto broker = new Mosquitto(dir.resolve("broker"), port).start()) {
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> !link.isConnected());
        }
    }

    @ParameterizedTest
    @EnumSource(MqttVersion.class)
    void connectedLink_disconnects(MqttVersion version) throws Exception {
        try (Mosquitto broker = new Mosquitto(dir.resolve("broker")).start()) {
            MqttLink link = MqttLinks.create(endpoint(broker.port(), version), "test", 10);
            link.onMessage(m -> m.ack());
            link.connect().get(10, TimeUnit.SECONDS);
            assertThat(link.isConnected()).isTrue();
            link.disconnect().get(5, TimeUnit.SECONDS);
            assertThat(link.isConnected()).isFalse();
        }
    }
}
