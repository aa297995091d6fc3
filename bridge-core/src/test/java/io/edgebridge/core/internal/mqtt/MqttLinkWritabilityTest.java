package io.edgebridge.core.internal.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A broker that stops reading (a slow link) must not make QoS 0 publishes pile up in Netty's
 * outbound buffer: they used to complete at once and be buffered without bound. Now they wait in
 * the link, unencoded, and complete only once written, so the sink's in-flight window bounds memory.
 */
@Timeout(60)
class MqttLinkWritabilityTest {

    private static final int MESSAGES = 2_000;
    private static final int PAYLOAD = 16 * 1024;

    @Test
    void aBrokerThatStopsReading_holdsQos0PublishesBack_untilItReadsAgain() throws Exception {
        CountDownLatch readAgain = new CountDownLatch(1);
        AtomicLong bytesRead = new AtomicLong();
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(64 * 1024); // no receive-window autotuning on the stalled side
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread peer = new Thread(() -> stallThenRead(server, readAgain, bytesRead), "stalled-broker");
            peer.setDaemon(true);
            peer.start();

            MqttLink link = MqttLinks.create(endpoint(server.getLocalPort()), "test", 10);
            link.onMessage(IncomingMessage::ack);
            link.connect().get(10, TimeUnit.SECONDS);
            try {
                List<CompletableFuture<Void>> sent = new ArrayList<>();
                for (int i = 0; i < MESSAGES; i++) {
                    sent.add(link.publish(new OutgoingMessage("w/" + i, new byte[PAYLOAD], 0, false, Map.of(),
                            Optional.empty())));
                }
                // Wait until the socket took what it takes: two looks half a second apart see the same count.
                AtomicLong last = new AtomicLong(-1);
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                        .until(() -> done(sent) == last.getAndSet(done(sent)));
                long doneBytes = done(sent) * (long) PAYLOAD;
                // The kernel's socket buffers (a few MB on loopback) and the high water mark, not all 32 MB.
                assertThat(doneBytes).as("bytes of completed QoS 0 publishes").isLessThan(12L * 1024 * 1024);
                assertThat(link.isConnected()).isTrue();

                readAgain.countDown();
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> bytesRead.get() >= (long) MESSAGES * PAYLOAD);
            } finally {
                readAgain.countDown();
                link.disconnect().get(5, TimeUnit.SECONDS);
            }
        }
    }

    /** A DISCONNECT the broker never reads must not hold the link open: {@code disconnect()} used to wait for it. */
    @Test
    void disconnect_whileTheBrokerReadsNothing_completes() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(64 * 1024);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread peer = new Thread(() -> stallThenRead(server, never, new AtomicLong()), "stalled-broker");
            peer.setDaemon(true);
            peer.start();
            MqttLink link = MqttLinks.create(endpoint(server.getLocalPort()), "test", 10);
            link.onMessage(IncomingMessage::ack);
            link.connect().get(10, TimeUnit.SECONDS);
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                sent.add(link.publish(new OutgoingMessage("w/" + i, new byte[PAYLOAD], 0, false, Map.of(),
                        Optional.empty())));
            }
            AtomicLong last = new AtomicLong(-1);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                    .until(() -> done(sent) == last.getAndSet(done(sent)));

            link.disconnect().get(10, TimeUnit.SECONDS);
            assertThat(link.isConnected()).isFalse();
            assertThat(sent).allMatch(CompletableFuture::isDone);
        } finally {
            never.countDown();
        }
    }

    private static MqttEndpointConfig endpoint(int port) {
        return new MqttEndpointConfig("127.0.0.1", port, false, "writability-test", Optional.empty(), Optional.empty(),
                Optional.empty(), MqttVersion.V3_1_1, Duration.ZERO, Duration.ofSeconds(60), Duration.ofSeconds(5),
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(100), 0));
    }

    private static long done(List<CompletableFuture<Void>> sent) {
        return sent.stream().filter(CompletableFuture::isDone).count();
    }

    /** Accepts one connection, reads its CONNECT, accepts it, then reads nothing until told to. */
    private static void stallThenRead(ServerSocket server, CountDownLatch readAgain, AtomicLong bytesRead) {
        try (Socket client = server.accept()) {
            InputStream in = client.getInputStream();
            in.read(new byte[1024]); // the CONNECT (nothing else is sent before the CONNACK)
            OutputStream out = client.getOutputStream();
            out.write(new byte[] {0x20, 0x02, 0x00, 0x00}); // CONNACK, accepted
            out.flush();
            readAgain.await();
            byte[] buffer = new byte[64 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                bytesRead.addAndGet(n);
            }
        } catch (IOException | InterruptedException e) {
            // the link disconnected, or the test ended
        }
    }
}
