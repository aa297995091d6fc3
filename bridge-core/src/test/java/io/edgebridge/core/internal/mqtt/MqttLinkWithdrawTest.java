package io.edgebridge.core.internal.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TcpProxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a downstream delivery relies on: a publish given up on while the link is disconnected never
 * reaches the broker, and a message the broker redelivers in a resumed session carries the same
 * session key.
 */
@Timeout(60)
class MqttLinkWithdrawTest {

    @TempDir
    Path dir;

    private static MqttEndpointConfig endpoint(int port, String clientId, Duration sessionExpiry) {
        return new MqttEndpointConfig("127.0.0.1", port, false, clientId, Optional.empty(), Optional.empty(),
                Optional.empty(), MqttVersion.V5, sessionExpiry, Duration.ofSeconds(30), Duration.ofSeconds(2),
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), 0));
    }

    private static OutgoingMessage message(String payload) {
        return new OutgoingMessage("w/test", payload.getBytes(StandardCharsets.UTF_8), 1, false, Map.of(),
                Optional.empty());
    }

    @Test
    void publishCancelledWhileDisconnected_isNeverSent_theOthersAre() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir.resolve("broker")).start();
                TcpProxy proxy = new TcpProxy(broker.port());
                Recorder recorder = new Recorder(broker.port(), "withdraw-recorder", "w/#")) {
            MqttLink link = MqttLinks.create(endpoint(proxyPort(proxy), "withdraw-link", Duration.ZERO), "test", 10);
            link.onMessage(IncomingMessage::ack);
            link.connect(); // the proxy is not accepting yet: the link keeps retrying
            CompletableFuture<Void> a = link.publish(message("a"));
            CompletableFuture<Void> b = link.publish(message("b"));
            CompletableFuture<Void> c = link.publish(message("c"));
            b.cancel(false);
            proxy.restore();
            CompletableFuture.allOf(a, c).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.received("a") && recorder.received("c"));
            // "c" was sent after "b" would have been: had "b" been sent, it would have arrived by now.
            assertThat(recorder.received("b")).isFalse();
            link.disconnect().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void redeliveryInAResumedSession_carriesTheSameSessionKey() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir.resolve("broker")).start();
                TcpProxy proxy = new TcpProxy(broker.port()).restore();
                Publisher cloud = new Publisher(broker.port(), 10)) {
            List<IncomingMessage> received = new CopyOnWriteArrayList<>();
            MqttLink link = MqttLinks.create(endpoint(proxyPort(proxy), "session-key-link", Duration.ofMinutes(5)),
                    "test", 10);
            link.onMessage(received::add); // never acknowledged: the broker redelivers
            link.connect().get(10, TimeUnit.SECONDS);
            link.subscribe(List.of("k/#"), false).get(10, TimeUnit.SECONDS);
            cloud.publish("k/1", "one");
            cloud.publish("k/2", "two");
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);

            proxy.cut();
            await().atMost(Duration.ofSeconds(5)).until(() -> !link.isConnected());
            proxy.restore();
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 4);

            for (int i = 0; i < 2; i++) {
                assertThat(received.get(i).sessionKey()).isPresent();
                assertThat(received.get(i + 2).topic()).isEqualTo(received.get(i).topic());
                assertThat(received.get(i + 2).sessionKey()).isEqualTo(received.get(i).sessionKey());
            }
            assertThat(received.get(0).sessionKey()).isNotEqualTo(received.get(1).sessionKey());
            link.disconnect().get(5, TimeUnit.SECONDS);
        }
    }

    private static int proxyPort(TcpProxy proxy) {
        String uri = proxy.uri();
        return Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
    }
}
