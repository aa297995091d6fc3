package io.edgebridge.core.it.faults;

import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientState;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Device connections that ride out their broker going away (an embedded broker stops with its
 * bridge): each reconnects by itself and goes on publishing QoS 1 with a bounded window. A message
 * counts as acknowledged only when the broker's PUBACK said success; a publish lost with a dropped
 * connection or refused is just not acknowledged.
 */
final class ReconnectingDevices implements AutoCloseable {

    private final List<Mqtt5AsyncClient> clients = new ArrayList<>();
    private final ExecutorService threads;
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final AtomicInteger failed = new AtomicInteger();
    private final int window;
    private volatile CompletableFuture<Void> publishing = CompletableFuture.completedFuture(null);

    ReconnectingDevices(int port, int connections, int window) {
        for (int i = 0; i < connections; i++) {
            Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier("dev-" + UUID.randomUUID())
                    .serverHost("127.0.0.1").serverPort(port)
                    .automaticReconnect().initialDelay(100, TimeUnit.MILLISECONDS).maxDelay(500, TimeUnit.MILLISECONDS)
                    .applyAutomaticReconnect()
                    .buildAsync();
            // A persistent session: while disconnected, the client holds its publishes (up to the
            // window) instead of failing each at once, and sends them after reconnecting.
            client.connectWith().cleanStart(false).sessionExpiryInterval(300).send().join();
            clients.add(client);
        }
        this.threads = Executors.newFixedThreadPool(connections);
        this.window = window;
    }

    /**
     * Starts publishing {@code perConnection} messages on each connection (payload
     * {@code <prefix><connection>-<n>}, topic {@code sensors/dev<connection>/telemetry}); the
     * returned future completes when every one was answered or failed.
     */
    CompletableFuture<Void> start(String prefix, int perConnection) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int c = 0; c < clients.size(); c++) {
            int connection = c;
            Mqtt5AsyncClient client = clients.get(c);
            all.add(CompletableFuture.runAsync(() -> publish(client, connection, prefix, perConnection), threads));
        }
        publishing = CompletableFuture.allOf(all.toArray(new CompletableFuture[0]));
        return publishing;
    }

    private void publish(Mqtt5AsyncClient client, int connection, String prefix, int count) {
        Semaphore permits = new Semaphore(window);
        for (int n = 0; n < count; n++) {
            acquire(permits, 1);
            String payload = prefix + connection + "-" + n;
            client.publishWith().topic("sensors/dev" + connection + "/telemetry").qos(MqttQos.AT_LEAST_ONCE)
                    .payload(payload.getBytes(StandardCharsets.UTF_8)).send()
                    .whenComplete((result, error) -> {
                        if (error == null && result.getError().isEmpty()) {
                            acknowledged.add(payload);
                        } else {
                            failed.incrementAndGet();
                        }
                        permits.release();
                    });
        }
        acquire(permits, window); // every publish answered
    }

    private static void acquire(Semaphore permits, int n) {
        try {
            if (!permits.tryAcquire(n, 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("publishes unanswered for 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Waits until every connection is up again. A publish handed to a client that is still
     * reconnecting is held, and failed when the new broker has no session for it (an in-memory
     * broker after a restart), so a phase that should reach the restarted bridge waits for this.
     */
    void awaitConnected(Duration timeout) {
        await("devices reconnected").atMost(timeout).pollInterval(Duration.ofMillis(20))
                .until(() -> clients.stream().allMatch(c -> c.getState() == MqttClientState.CONNECTED));
    }

    Set<String> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    int acknowledgedCount() {
        return acknowledged.size();
    }

    int failed() {
        return failed.get();
    }

    @Override
    public void close() {
        publishing.cancel(true);
        threads.shutdownNow();
        for (Mqtt5AsyncClient client : clients) {
            client.disconnect().exceptionally(e -> null);
        }
    }
}
