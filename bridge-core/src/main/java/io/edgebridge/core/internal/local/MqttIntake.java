package io.edgebridge.core.internal.local;

import io.edgebridge.config.template.TopicFilter;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.internal.mqtt.IncomingMessage;
import io.edgebridge.core.internal.mqtt.MqttLink;
import io.edgebridge.core.internal.spool.SpoolFullException;
import io.edgebridge.core.internal.spool.SpoolUnwritableException;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Intake through the bridge's {@link LocalBrokerSession}: QoS 1 subscriptions (No-Local unless
 * shared) with manual acknowledgement. A message is acknowledged only after it is spooled, so one
 * that was not stays in the broker's session and is redelivered after a reconnect.
 */
final class MqttIntake {

    private static final Logger log = LoggerFactory.getLogger(MqttIntake.class);

    private final MqttLink link;
    private final Intake intake;
    private final boolean noLocal;
    /** Whether {@link #matches} is needed: only with a backlog (embedded broker, never shared). */
    private final boolean counted;
    /** A full or failing disk refuses every message: one line per interval, with the count. */
    private final LogLimit notSpooledLog = new LogLimit();
    private volatile List<String> subscriptions;
    private volatile List<TopicFilter> filters;
    private volatile boolean stopped;

    /**
     * @param noLocal false for shared subscriptions, where MQTT 5 forbids No-Local: the bridge's own
     *                publishes then come back and are skipped by their hop marker
     */
    MqttIntake(MqttLink link, Intake intake, List<String> subscriptions, boolean noLocal, boolean counted) {
        this.link = link;
        this.intake = intake;
        this.noLocal = noLocal;
        this.counted = counted;
        this.subscriptions = List.copyOf(subscriptions);
        this.filters = compile(subscriptions);
    }

    /** Subscribes once the link is connected; fails when the broker refuses a subscription. */
    CompletableFuture<Void> subscribe() {
        List<String> filters = subscriptions;
        if (filters.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return link.subscribe(filters, noLocal)
                .whenComplete((v, error) -> {
                    if (error != null) {
                        log.atError().addKeyValue("filters", filters)
                                .log("local subscription failed: {}", error.getMessage());
                    } else {
                        log.atInfo().addKeyValue("filters", filters).log("local intake subscribed");
                    }
                });
    }

    /** Hands a message to the spool, or acknowledges at once one that carries the hop marker. */
    void onMessage(IncomingMessage message, Runnable acknowledge) {
        if (message.userProperties().containsKey(Intake.HOP_MARKER)) {
            acknowledge.run();
            return;
        }
        if (stopped) {
            return; // not acknowledged: the broker redelivers it to the next session
        }
        spool(message, acknowledge, 0);
    }

    /**
     * Acknowledges the message once it is spooled. While the spool cannot write it is tried again
     * (100 ms, doubling up to 2 s): the broker redelivers an unacknowledged message only after a
     * reconnect, so leaving it would hold its place in the session's in-flight window until then.
     */
    private void spool(IncomingMessage message, Runnable acknowledge, int attempt) {
        intake.accept(message.topic(), message.payload(), message.qos(), message.retain())
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
                    if (cause instanceof SpoolUnwritableException && !stopped) {
                        long delay = Math.min(2000, 100L << Math.min(attempt, 5));
                        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS)
                                .execute(() -> {
                                    if (!stopped) {
                                        spool(message, acknowledge, attempt + 1);
                                    }
                                });
                    }
                });
    }

    /** Whether {@code topic} matches an intake subscription (always false without a backlog). */
    boolean matches(String topic) {
        List<TopicFilter> compiled = filters;
        if (compiled.isEmpty()) {
            return false;
        }
        String[] levels = Topics.levels(topic);
        for (TopicFilter filter : compiled) {
            if (filter.matches(topic, levels, new String[Math.max(1, filter.bindingCount())])) {
                return true;
            }
        }
        return false;
    }

    private List<TopicFilter> compile(List<String> next) {
        return counted ? next.stream().map(TopicFilter::parse).toList() : List.of();
    }

    /** See {@link LocalBroker#updateSubscriptions}. */
    synchronized CompletableFuture<Void> update(List<String> next) {
        List<String> current = subscriptions;
        List<String> added = next.stream().filter(f -> !current.contains(f)).toList();
        List<String> removed = current.stream().filter(f -> !next.contains(f)).toList();
        subscriptions = List.copyOf(next);
        // Until the old filters are gone both sets are queued for the bridge; the backlog's count
        // may be a little off meanwhile and is set right once intake is idle.
        filters = compile(next);
        if (!added.isEmpty() || !removed.isEmpty()) {
            log.atInfo().addKeyValue("added", added).addKeyValue("removed", removed).log("local intake subscriptions change");
        }
        return link.subscribe(added, noLocal).thenCompose(v -> link.unsubscribe(removed));
    }

    /** Messages arriving from now on are not acknowledged; spool retries stop. */
    void stop() {
        stopped = true;
    }
}
