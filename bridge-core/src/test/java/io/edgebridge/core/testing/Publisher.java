package io.edgebridge.core.testing;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A device stand-in: publishes with bounded concurrency and counts broker acknowledgements, so a
 * test knows exactly which messages the bridge accepted.
 */
public final class Publisher implements AutoCloseable {

    private final Mqtt5AsyncClient client;
    private final Semaphore window;
    private final int maxInFlight;
    private final AtomicInteger acked = new AtomicInteger();
    private final Set<String> ackedPayloads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicReference<Throwable> lastError = new AtomicReference<>();

    public Publisher(int port, int maxInFlight) {
        client = MqttClient.builder().useMqttVersion5().identifier("pub-" + UUID.randomUUID())
                .serverHost("127.0.0.1").serverPort(port).buildAsync();
        client.connect().join();
        this.maxInFlight = maxInFlight;
        window = new Semaphore(maxInFlight);
    }

    private Publisher(Mqtt5AsyncClient client, int maxInFlight) {
        this.client = client;
        this.maxInFlight = maxInFlight;
        window = new Semaphore(maxInFlight);
    }

    /**
     * A device as most real ones behave: reconnects by itself (100–500 ms) and keeps its session, so
     * the publishes it holds while disconnected are sent again after the reconnect, not failed.
     */
    public static Publisher reconnecting(int port, int maxInFlight) {
        Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier("pub-" + UUID.randomUUID())
                .serverHost("127.0.0.1").serverPort(port)
                .automaticReconnect().initialDelay(100, TimeUnit.MILLISECONDS).maxDelay(500, TimeUnit.MILLISECONDS)
                .applyAutomaticReconnect()
                .buildAsync();
        client.connectWith().cleanStart(false).sessionExpiryInterval(300).send().join();
        return new Publisher(client, maxInFlight);
    }

    /**
     * A device that authenticates as {@code user} and uses that name as its client id (as a broker with
     * {@code auth.clientIds: username} requires), over TLS when {@code tls} is given.
     */
    public Publisher(int port, int maxInFlight, String user, String password, Optional<MqttClientSslConfig> tls) {
        var builder = MqttClient.builder().useMqttVersion5().identifier(user).serverHost("127.0.0.1").serverPort(port);
        if (tls.isPresent()) {
            builder = builder.sslConfig(tls.get());
        }
        client = builder.buildAsync();
        client.connectWith().simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth().send().join();
        this.maxInFlight = maxInFlight;
        window = new Semaphore(maxInFlight);
    }

    /** Publishes and returns the future of the broker's acknowledgement (or failure). */
    public CompletableFuture<Void> publish(String topic, String payload, MqttQos qos) {
        window.acquireUninterruptibly();
        return client.publishWith().topic(topic).qos(qos).payload(payload.getBytes(StandardCharsets.UTF_8)).send()
                .handle((result, error) -> {
                    // Count before releasing the permit, so drain() never returns ahead of the count.
                    Throwable problem = error != null ? error : result.getError().orElse(null);
                    if (problem == null) {
                        acked.incrementAndGet();
                        ackedPayloads.add(payload);
                        window.release();
                        return null;
                    }
                    failed.incrementAndGet();
                    lastError.set(problem);
                    window.release();
                    throw new IllegalStateException(problem);
                });
    }

    public CompletableFuture<Void> publish(String topic, String payload) {
        return publish(topic, payload, MqttQos.AT_LEAST_ONCE);
    }

    /** Waits until every publish so far is acknowledged or failed. */
    public void drain(long timeout, TimeUnit unit) throws InterruptedException {
        // All permits back means nothing is in flight.
        if (!window.tryAcquire(maxInFlight, timeout, unit)) {
            throw new IllegalStateException("publishes still in flight after " + timeout + " " + unit);
        }
        window.release(maxInFlight);
    }

    /** Like {@link #drain} but for a broker that went away: failed publishes also count as done. */
    public void drainQuietly(long timeout, TimeUnit unit) throws InterruptedException {
        if (window.tryAcquire(maxInFlight, timeout, unit)) {
            window.release(maxInFlight);
        }
    }

    public int acked() {
        return acked.get();
    }

    /** Payloads the broker acknowledged: the ones EdgeBridge took responsibility for. */
    public Set<String> ackedPayloads() {
        return Set.copyOf(ackedPayloads);
    }

    public int failed() {
        return failed.get();
    }

    public Throwable lastError() {
        return lastError.get();
    }

    @Override
    public void close() {
        client.disconnect().exceptionally(e -> null).join();
    }
}
