package io.edgebridge.core.internal.local;

import io.edgebridge.core.internal.mqtt.IncomingMessage;
import io.edgebridge.core.internal.mqtt.MqttLink;
import io.edgebridge.core.internal.mqtt.OutgoingMessage;
import io.edgebridge.core.support.Futures;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's own MQTT client session with the local broker: publishes (downstream, dead letters,
 * requests and their responses) with the hop marker, and with intake over MQTT hands the
 * subscribed messages to its {@link MqttIntake}.
 *
 * <p>With an {@link IntakeBacklog} (the embedded broker), every message the broker queued for this
 * session is reported to it on arrival and on acknowledgement, which is what lets devices wait
 * while the bridge is behind.
 */
final class LocalBrokerSession {

    private static final Logger log = LoggerFactory.getLogger(LocalBrokerSession.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final MqttLink link;
    private final String hopValue;
    private final Optional<IntakeBacklog> backlog;
    private volatile MqttIntake intake;
    private volatile boolean responsesRequested;
    private volatile BrokerCheck check;
    private volatile boolean intakeStopped;
    private final String responseTopic;
    private final Map<String, CompletableFuture<LocalResponse>> requests = new ConcurrentHashMap<>();
    private CompletableFuture<Void> responsesSubscribed; // guarded by this

    LocalBrokerSession(MqttLink link, String hopValue) {
        this(link, hopValue, Optional.empty());
    }

    LocalBrokerSession(MqttLink link, String hopValue, Optional<IntakeBacklog> backlog) {
        this.link = link;
        this.hopValue = hopValue;
        this.backlog = backlog;
        this.responseTopic = LocalBroker.RESPONSE_TOPIC_PREFIX + hopValue.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    /**
     * Connects; with a non-null {@code intake}, subscribes to {@code subscriptions} once connected.
     * The future completes when the session is ready: connected and, for intake, subscribed (a
     * device publishing before that would not reach the bridge on a first start). It fails when the
     * broker refuses a subscription.
     */
    CompletableFuture<Void> start(Intake intake, List<String> subscriptions) {
        return start(intake, subscriptions, true);
    }

    /**
     * As {@link #start(Intake, List)}; {@code noLocal} false is for shared subscriptions, where MQTT 5
     * forbids No-Local: the bridge's own publishes then come back and are skipped by their hop marker.
     */
    CompletableFuture<Void> start(Intake intake, List<String> subscriptions, boolean noLocal) {
        MqttIntake taken = intake == null ? null
                : new MqttIntake(link, intake, subscriptions, noLocal, backlog.isPresent());
        this.intake = taken;
        if (taken != null && intakeStopped) {
            taken.stop(); // a stop that raced this start
        }
        link.onMessage(this::onMessage);
        CompletableFuture<Void> connected = link.connect();
        if (taken == null) {
            return connected;
        }
        return connected.thenCompose(v -> taken.subscribe());
    }

    private void onMessage(IncomingMessage message) {
        BrokerCheck brokerCheck = check;
        if (brokerCheck != null && BrokerCheck.handles(message.topic())) {
            message.ack();
            brokerCheck.onMessage(message.topic(), message.payload());
            return;
        }
        Runnable ack = message::ack;
        IntakeBacklog counted = backlog.orElse(null);
        if (counted != null && message.qos() > 0 && !message.retain() && queuedForBridge(message.topic())) {
            // Retained messages sent at subscribe time were never admitted by the gate: not counted.
            counted.arrived();
            long size = message.payload().length;
            ack = () -> {
                message.ack();
                counted.acknowledged(size);
            };
        }
        if (message.topic().equals(responseTopic)) {
            onResponse(message, ack);
            return;
        }
        MqttIntake target = intake;
        if (target == null) {
            ack.run();
            return;
        }
        target.onMessage(message, ack);
    }

    /**
     * Whether the broker queues a message on {@code topic} for this session: it matches an intake
     * subscription, or it is the response topic once requests subscribed to it.
     */
    boolean queuedForBridge(String topic) {
        if (topic.equals(responseTopic)) {
            return responsesRequested;
        }
        MqttIntake taken = intake;
        return taken != null && taken.matches(topic);
    }

    /** Subscribes to the broker's $SYS topics {@code brokerCheck} reads; completes at the broker's SUBACK. */
    CompletableFuture<Void> checkBroker(BrokerCheck brokerCheck) {
        check = brokerCheck;
        return link.subscribe(BrokerCheck.FILTERS, true);
    }

    /** See {@link LocalBroker#updateSubscriptions}; only for MQTT intake. */
    CompletableFuture<Void> updateSubscriptions(List<String> next) {
        MqttIntake taken = intake;
        if (taken == null) {
            return CompletableFuture.completedFuture(null);
        }
        return taken.update(next);
    }

    CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties) {
        Map<String, String> userProperties = properties;
        if (link.supportsUserProperties()) {
            userProperties = new LinkedHashMap<>(properties);
            userProperties.put(Intake.HOP_MARKER, hopValue);
        }
        return link.publish(new OutgoingMessage(topic, payload, 1, retain, userProperties, Optional.empty()));
    }

    /** See {@link LocalBroker#request}. */
    CompletableFuture<LocalResponse> request(String topic, byte[] payload, Map<String, String> properties,
            Duration timeout) {
        if (!link.supportsUserProperties()) {
            return CompletableFuture.failedFuture(new IllegalStateException("the bridge's session with the local"
                    + " broker speaks MQTT 3.1.1, which has no response topic: requests need MQTT 5"));
        }
        byte[] correlation = new byte[16];
        RANDOM.nextBytes(correlation);
        String key = HexFormat.of().formatHex(correlation);
        CompletableFuture<LocalResponse> response = new CompletableFuture<>();
        requests.put(key, response);
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> response.completeExceptionally(new LocalRequestTimeoutException(topic, timeout)));
        response.whenComplete((r, e) -> requests.remove(key));
        Map<String, String> userProperties = new LinkedHashMap<>(properties);
        userProperties.put(Intake.HOP_MARKER, hopValue);
        subscribeResponses()
                .thenCompose(v -> link.publish(new OutgoingMessage(topic, payload, 1, false, userProperties,
                        Optional.empty(), Optional.of(responseTopic), Optional.of(correlation))))
                .whenComplete((v, e) -> {
                    if (e != null) {
                        response.completeExceptionally(Futures.unwrap(e));
                    }
                });
        return response;
    }

    /** Subscribes to the response topic once; the link renews it after reconnects. */
    private synchronized CompletableFuture<Void> subscribeResponses() {
        if (responsesSubscribed == null || responsesSubscribed.isCompletedExceptionally()) {
            responsesRequested = true;
            responsesSubscribed = link.subscribe(List.of(responseTopic), true);
        }
        return responsesSubscribed;
    }

    private void onResponse(IncomingMessage message, Runnable ack) {
        ack.run();
        Optional<String> key = message.correlationData().map(c -> HexFormat.of().formatHex(c));
        CompletableFuture<LocalResponse> waiting = key.map(requests::get).orElse(null);
        if (waiting == null) {
            log.atDebug().addKeyValue("topic", message.topic())
                    .log("a response matches no open request (late, duplicate or without correlation data)");
            return;
        }
        Map<String, String> properties = new LinkedHashMap<>(message.userProperties());
        properties.remove(Intake.HOP_MARKER);
        waiting.complete(new LocalResponse(message.payload(), properties, message.contentType()));
    }

    void stopIntake() {
        intakeStopped = true;
        MqttIntake taken = intake;
        if (taken != null) {
            taken.stop();
        }
    }

    boolean isConnected() {
        return link.isConnected();
    }

    void close() {
        for (CompletableFuture<LocalResponse> waiting : List.copyOf(requests.values())) {
            waiting.completeExceptionally(new IllegalStateException("the bridge is stopping"));
        }
        link.disconnect().join();
    }
}
