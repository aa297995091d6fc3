package io.edgebridge.core.internal.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.MqttStandIn;
import io.edgebridge.core.testing.Ports;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
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

    /**
     * Publishes the broker never acknowledges postpone the writer-idle ping, so with nothing read the
     * reader timed out at 1.5 keep-alives before any ping was due: a healthy broker looked silent and
     * the link reconnected (CI: a readiness test saw "not connected"). Now an idle reader pings first.
     */
    @Test
    void shortKeepAlive_publishesNeverAcknowledged_linkStaysConnected() throws Exception {
        try (MqttStandIn broker = new MqttStandIn(false)) {
            MqttLink link = MqttLinks.create(endpoint(broker.port(), MqttVersion.V3_1_1, Duration.ofSeconds(1)),
                    "test", 10);
            link.connect().get(10, TimeUnit.SECONDS);
            ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
            AtomicInteger sent = new AtomicInteger();
            try {
                load.scheduleAtFixedRate(() -> link.publish(new OutgoingMessage("t/" + sent.getAndIncrement(),
                        new byte[1], 1, false, Map.of(), Optional.empty())), 0, 400, TimeUnit.MILLISECONDS);
                await("one connection, never a reconnect").during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(6))
                        .until(() -> broker.connects() == 1);
            } finally {
                load.shutdownNow();
            }
            assertThat(sent.get()).isGreaterThanOrEqualTo(10);
            link.disconnect().get(5, TimeUnit.SECONDS);
        }
    }

    /** A broker that accepts the connection and then never answers anything, PINGREQ included. */
    @Test
    void shortKeepAlive_brokerThatStopsAnswering_isDetectedWithinAFewKeepAlives() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CountDownLatch done = new CountDownLatch(1);
            Thread silent = new Thread(() -> {
                try (Socket socket = server.accept()) {
                    socket.getInputStream().read(new byte[256]); // CONNECT
                    socket.getOutputStream().write(new byte[] {0x20, 0x02, 0x00, 0x00}); // CONNACK, then nothing
                    socket.getOutputStream().flush();
                    done.await(10, TimeUnit.SECONDS); // holds the connection open, silent
                } catch (IOException | InterruptedException e) {
                    // the test ends it
                }
            }, "silent-broker");
            silent.setDaemon(true);
            silent.start();
            MqttLink link = MqttLinks.create(endpoint(server.getLocalPort(), MqttVersion.V3_1_1, Duration.ofSeconds(1)),
                    "test", 10);
            link.connect().get(10, TimeUnit.SECONDS);
            long connected = System.nanoTime();
            await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(20)).until(() -> !link.isConnected());
            assertThat(Duration.ofNanos(System.nanoTime() - connected)).isLessThan(Duration.ofMillis(4500));
            link.disconnect().get(5, TimeUnit.SECONDS);
            done.countDown();
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
