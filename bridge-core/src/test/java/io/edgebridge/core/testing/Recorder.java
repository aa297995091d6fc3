package io.edgebridge.core.testing;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;

/**
 * A QoS 1 subscriber with a persistent session that records what it receives: per payload how
 * often (to count losses and duplicates), the topic it came on and when. Reconnects by itself.
 */
public final class Recorder implements AutoCloseable {

    /** One message received: its payload and {@link System#nanoTime()} on arrival. */
    public record Arrival(String payload, long nanos) {
    }

    private final Mqtt5AsyncClient client;
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Map<String, String> topics = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Mqtt5Publish> messages = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Arrival> arrivals = new ConcurrentLinkedQueue<>();
    private final AtomicLong total = new AtomicLong();

    public Recorder(int port, String clientId, String... filters) {
        client = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(port)
                .automaticReconnect().initialDelay(100, TimeUnit.MILLISECONDS).maxDelay(1, TimeUnit.SECONDS)
                .applyAutomaticReconnect()
                .buildAsync();
        client.publishes(MqttGlobalPublishFilter.ALL, this::record);
        client.connectWith().cleanStart(false).sessionExpiryInterval(3600).send().join();
        for (String filter : filters) {
            client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send().join();
        }
    }

    private void record(Mqtt5Publish publish) {
        long now = System.nanoTime();
        String payload = new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8);
        arrivals.add(new Arrival(payload, now));
        counts.computeIfAbsent(payload, k -> new AtomicInteger()).incrementAndGet();
        topics.put(payload, publish.getTopic().toString());
        messages.add(publish);
        total.incrementAndGet();
    }

    /** Distinct payloads received. */
    public int distinct() {
        return counts.size();
    }

    /** Every message received, duplicates included. */
    public long total() {
        return total.get();
    }

    public long duplicates() {
        return total.get() - counts.size();
    }

    public boolean received(String payload) {
        return counts.containsKey(payload);
    }

    public String topicOf(String payload) {
        return topics.get(payload);
    }

    public List<Mqtt5Publish> messages() {
        return new ArrayList<>(messages);
    }

    /** Every message received, duplicates included, in the order they arrived. */
    public List<Arrival> arrivals() {
        return new ArrayList<>(arrivals);
    }

    /** Payloads from {@code expected} that never arrived. */
    public List<String> missing(List<String> expected) {
        List<String> missing = new ArrayList<>();
        for (String p : expected) {
            if (!counts.containsKey(p)) {
                missing.add(p);
            }
        }
        return missing;
    }

    /** How often each payload {@code filter} accepts arrived: the distinct ones, the extra copies, the most copies of one. */
    public record Copies(long distinct, long duplicates, long max) {
    }

    public Copies copies(java.util.function.Predicate<String> filter) {
        Map<String, Integer> seen = new java.util.HashMap<>();
        for (Arrival a : arrivals) {
            if (filter.test(a.payload())) {
                seen.merge(a.payload(), 1, Integer::sum);
            }
        }
        long total = seen.values().stream().mapToLong(Integer::longValue).sum();
        long max = seen.values().stream().mapToLong(Integer::longValue).max().orElse(0);
        return new Copies(seen.size(), total - seen.size(), max);
    }

    /** Waits until nothing more arrived for {@code quiet}: late copies arrive right behind the first ones. */
    public void awaitQuiet(Duration quiet, Duration timeout) {
        AtomicLong last = new AtomicLong(-1);
        Awaitility.await("no more messages for " + quiet).during(quiet).atMost(timeout)
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    long now = total();
                    return last.getAndSet(now) == now;
                });
    }

    public void awaitDistinct(int n, Duration timeout) {
        Awaitility.await("recorder to receive " + n + " distinct messages (has " + distinct() + ")")
                .atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> distinct() >= n);
    }

    @Override
    public void close() {
        client.disconnect().exceptionally(e -> null).join();
    }
}
