package io.edgebridge.core.internal.local;

import io.edgebridge.config.template.TopicFilter;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.internal.mqtt.IncomingMessage;
import io.edgebridge.core.internal.mqtt.MqttLink;
import io.edgebridge.core.internal.mqtt.OutgoingMessage;
import io.edgebridge.core.internal.spool.SpoolFullException;
import io.edgebridge.core.internal.spool.SpoolUnwritableException;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
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
 * The bridge's MQTT session on the local broker: publishes (downstream, dead letters) with the hop
 * marker, and optionally intake through QoS 1 subscriptions with No-Local and manual
 * acknowledgement: a message is acknowledged only after it is spooled, so one that was not stays
 * in the broker's session and is redelivered after a reconnect.
 *
 * <p>With an {@link IntakeBacklog} (the embedded broker), every message the broker queued for this
 * session is reported to it on arrival and on acknowledgement, which is what lets devices wait
 * while the bridge is behind.
 */
final class MqttIntakeSession {

    private static final Logger log = LoggerFactory.getLogger(MqttIntakeSession.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final MqttLink link;
    private final String hopValue;
    private final Optional<IntakeBacklog> backlog;
    /** A full or failing disk refuses every message: one line per interval, with the count. */
    private final LogLimit notSpooledLog = new LogLimit();
    private volatile Intake intake;
    private volatile List<String> subscriptions = List.of();
    private volatile List<TopicFilter> intakeFilters = List.of();
    private volatile boolean responsesRequested;
    private volatile BrokerCheck check;
    private volatile boolean noLocal = true;
    private volatile boolean intakeStopped;
    private final String responseTopic;
    private final Map<String, CompletableFuture<LocalResponse>> requests = new ConcurrentHashMap<>();
    private CompletableFuture<Void> responsesSubscribed; // guarded by this

    MqttIntakeSession(MqttLink link, String hopValue) {
        this(link, hopValue, Optional.empty());
    }

    MqttIntakeSession(MqttLink link, String hopValue, Optional<IntakeBacklog> backlog) {
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
        this.intake = intake;
        this.subscriptions = List.copyOf(subscriptions);
        this.intakeFilters = compile(intake, subscriptions);
        this.noLocal = noLocal;
        link.onMessage(this::onMessage);
        CompletableFuture<Void> connected = link.connect();
        if (intake == null || subscriptions.isEmpty()) {
            return connected;
        }
        return connected.thenCompose(v -> link.subscribe(subscriptions, noLocal))
                .whenComplete((v, error) -> {
                    if (error != null) {
                        log.atError().addKeyValue("filters", subscriptions)
                                .log("local subscription failed: {}", error.getMessage());
                    } else {
                        log.atInfo().addKeyValue("filters", subscriptions).log("local intake subscribed");
                    }
                });
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
        Intake target = intake;
        if (target == null || message.userProperties().containsKey(Intake.HOP_MARKER)) {
            ack.run();
            return;
        }
        if (intakeStopped) {
            return; // not acknowledged: the broker redelivers it to the next session
        }
        spool(target, message, ack, 0);
    }

    /**
     * Acknowledges the message once it is spooled. While the spool cannot write it is tried again
     * (100 ms, doubling up to 2 s): the broker redelivers an unacknowledged message only after a
     * reconnect, so leaving it would hold its place in the session's in-flight window until then.
     */
    private void spool(Intake target, IncomingMessage message, Runnable acknowledge, int attempt) {
        target.accept(message.topic(), message.payload(), message.qos(), message.retain())
                .whenComplete((ok, error) -> {
                    if (error == null) {
                        acknowledge.run();
                        return;
                    }
                    Throwable cause = Futures.unwrap(error);
                    if (cause instanceof SpoolFullException) {
                        // refuse-new: the broker cannot be told "no"; the message is dropped and counted.
                        acknowledge.run();
                        return;
                    }
                    LogLimit.Pass pass = notSpooledLog.admit();
                    if (pass.logs()) {
                        log.atError().addKeyValue("topic", message.topic()).addKeyValue("suppressed", pass.suppressed())
                                .log("message not spooled, kept unacknowledged and tried again: {}{}", cause.getMessage(),
                                        pass.suffix());
                    }
                    if (cause instanceof SpoolUnwritableException && !intakeStopped) {
                        long delay = Math.min(2000, 100L << Math.min(attempt, 5));
                        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS)
                                .execute(() -> {
                                    if (!intakeStopped) {
                                        spool(target, message, acknowledge, attempt + 1);
                                    }
                                });
                    }
                });
    }

    /**
     * Whether the broker queues a message on {@code topic} for this session: it matches an intake
     * subscription, or it is the response topic once requests subscribed to it.
     */
    boolean queuedForBridge(String topic) {
        if (topic.equals(responseTopic)) {
            return responsesRequested;
        }
        List<TopicFilter> filters = intakeFilters;
        if (filters.isEmpty()) {
            return false;
        }
        String[] levels = Topics.levels(topic);
        for (TopicFilter filter : filters) {
            if (filter.matches(topic, levels, new String[Math.max(1, filter.bindingCount())])) {
                return true;
            }
        }
        return false;
    }

    /** The filters {@link #queuedForBridge} matches: only needed with a backlog (embedded broker, never shared). */
    private List<TopicFilter> compile(Intake intake, List<String> filters) {
        if (intake == null || backlog.isEmpty()) {
            return List.of();
        }
        return filters.stream().map(TopicFilter::parse).toList();
    }

    /** Subscribes to the broker's $SYS topics {@code brokerCheck} reads; completes at the broker's SUBACK. */
    CompletableFuture<Void> checkBroker(BrokerCheck brokerCheck) {
        check = brokerCheck;
        return link.subscribe(BrokerCheck.FILTERS, true);
    }

    /** See {@link LocalBroker#updateSubscriptions}; only for MQTT intake. */
    synchronized CompletableFuture<Void> updateSubscriptions(List<String> next) {
        if (intake == null) {
            return CompletableFuture.completedFuture(null);
        }
        List<String> current = subscriptions;
        List<String> added = next.stream().filter(f -> !current.contains(f)).toList();
        List<String> removed = current.stream().filter(f -> !next.contains(f)).toList();
        subscriptions = List.copyOf(next);
        // Until the old filters are gone both sets are queued for the bridge; the backlog's count
        // may be a little off meanwhile and is set right once intake is idle.
        intakeFilters = compile(intake, next);
        if (!added.isEmpty() || !removed.isEmpty()) {
            log.atInfo().addKeyValue("added", added).addKeyValue("removed", removed).log("local intake subscriptions change");
        }
        return link.subscribe(added, noLocal).thenCompose(v -> link.unsubscribe(removed));
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
