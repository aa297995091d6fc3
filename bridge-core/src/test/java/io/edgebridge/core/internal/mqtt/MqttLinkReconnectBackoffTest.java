package io.edgebridge.core.internal.mqtt;

import static org.awaitility.Awaitility.await;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A broker that drops the bridge right after each CONNACK (as brokers do after a packet they cannot
 * take) must see the reconnect backoff grow, not a reconnect every few milliseconds: issue 14's
 * finding 2 was a local broker dropping the bridge's session about 24 times a second.
 */
@Timeout(30)
class MqttLinkReconnectBackoffTest {

    @Test
    void aConnectionDroppedRightAfterTheConnack_doesNotResetTheBackoff() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket client = server.accept()) {
                        connections.incrementAndGet();
                        InputStream in = client.getInputStream();
                        in.read(new byte[1024]); // the CONNECT
                        OutputStream out = client.getOutputStream();
                        out.write(new byte[] {0x20, 0x02, 0x00, 0x00}); // CONNACK, accepted
                        out.flush();
                    } catch (IOException e) {
                        // closed
                    }
                }
            }, "drop-after-connack");
            acceptor.setDaemon(true);
            acceptor.start();

            MqttEndpointConfig endpoint = new MqttEndpointConfig("127.0.0.1", server.getLocalPort(), false, "backoff-test",
                    Optional.empty(), Optional.empty(), Optional.empty(), MqttVersion.V3_1_1, Duration.ZERO,
                    Duration.ofSeconds(30), Duration.ofSeconds(2), new Backoff(Duration.ofMillis(20), Duration.ofSeconds(1), 0));
            MqttLink link = MqttLinks.create(endpoint, "test", 10);
            link.onMessage(IncomingMessage::ack);
            link.connect();
            await().atMost(Duration.ofSeconds(5)).until(() -> connections.get() >= 1);
            // 20, 40, 80, ... 1,000 ms: about 8 connections in 3 s (it was one every 20 ms: about 150).
            try {
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> connections.get() <= 12);
            } catch (ConditionTimeoutException e) {
                throw new AssertionError(connections.get() + " connections within 3 s, expected at most 12", e);
            } finally {
                link.disconnect().get(5, TimeUnit.SECONDS);
            }
        }
    }
}
