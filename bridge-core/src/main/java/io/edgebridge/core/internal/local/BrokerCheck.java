package io.edgebridge.core.internal.local;

import io.edgebridge.core.support.LogLimit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the bridge can learn about an external local broker from its {@code $SYS} topics, to tell
 * the operator about the broker settings at-least-once depends on. An external broker acknowledges
 * a device's message before the bridge has it, and keeps it for the bridge's session only within
 * its own queue limits (Mosquitto's default {@code max_queued_messages 1000} drops the rest of a
 * restart's worth of messages), which the bridge cannot see. So it reads:
 * <ul>
 * <li>the broker's identity ({@code $SYS/broker/version}: Mosquitto; {@code $SYS/brokers/+/version}:
 * EMQX), logged at start with the settings to check and where the docs explain them;</li>
 * <li>Mosquitto's count of dropped messages ({@code $SYS/broker/publish/messages/dropped}, for all
 * clients, updated every {@code sys_interval}): when it is above 0 at start or grows, a WARN says
 * messages queued for the bridge may have been lost.</li>
 * </ul>
 * Cheap and optional: a broker without {@code $SYS}, or one that refuses the subscription, gets one
 * INFO line pointing to the docs.
 */
final class BrokerCheck {

    static final String MOSQUITTO_VERSION = "$SYS/broker/version";
    static final String MOSQUITTO_DROPPED = "$SYS/broker/publish/messages/dropped";
    static final String EMQX_VERSION = "$SYS/brokers/+/version";
    /** The subscriptions the check needs. */
    static final List<String> FILTERS = List.of(MOSQUITTO_VERSION, MOSQUITTO_DROPPED, EMQX_VERSION);
    static final String DOCS = "docs/OPERATIONS.md#local-broker-settings-for-at-least-once";
    private static final Duration IDENTIFY_WITHIN = Duration.ofSeconds(15);

    private static final Logger log = LoggerFactory.getLogger(BrokerCheck.class);

    private final String broker;
    private final LogLimit dropLog;
    private final AtomicBoolean identified = new AtomicBoolean();
    private long lastDropped = -1; // guarded by this

    /** @param broker the broker's URI as shown in logs */
    BrokerCheck(String broker) {
        this(broker, System::nanoTime);
    }

    BrokerCheck(String broker, LongSupplier nanoClock) {
        this.broker = broker;
        this.dropLog = new LogLimit(LogLimit.DEFAULT_INTERVAL, LogLimit.DEFAULT_MAX_LINES, nanoClock);
    }

    /** Whether {@code topic} is one of the check's ($SYS topics are never bridged). */
    static boolean handles(String topic) {
        return topic.startsWith("$SYS/");
    }

    /**
     * Call once the subscription was made (or refused): if the broker has not said who it is within
     * a while, says so once and where the settings are documented.
     */
    void subscribed(CompletableFuture<Void> subscription) {
        subscription.whenComplete((ok, error) -> {
            if (error != null) {
                log.atDebug().addKeyValue("broker", broker).log("$SYS topics not available: {}", error.getMessage());
            }
            CompletableFuture.delayedExecutor(IDENTIFY_WITHIN.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                if (identified.compareAndSet(false, true)) {
                    log.atInfo().addKeyValue("broker", broker).log("the local broker does not say what it is ($SYS);"
                            + " messages it acknowledged to devices reach the bridge only within its queue limits and"
                            + " session persistence: check them, see {}", DOCS);
                }
            });
        });
    }

    /** A message on one of {@link #FILTERS}. */
    void onMessage(String topic, byte[] payload) {
        String text = new String(payload, StandardCharsets.UTF_8).trim();
        if (topic.equals(MOSQUITTO_DROPPED)) {
            onDropped(text);
        } else if (topic.equals(MOSQUITTO_VERSION)) {
            identify(text, "Mosquitto keeps messages for the bridge's session within max_queued_messages (default 1000:"
                    + " a slow or restarting bridge loses the rest) and max_queued_bytes, and on disk only with"
                    + " persistence true (saved every autosave_interval); deploy/mosquitto/edgebridge.conf has the"
                    + " settings");
        } else if (topic.startsWith("$SYS/brokers/") && topic.endsWith("/version")) {
            identify("EMQX " + text, "EMQX keeps messages for the bridge's session within mqtt.max_mqueue_len (default"
                    + " 1000, then the oldest are dropped), and across an EMQX restart only with durable sessions");
        }
    }

    private void identify(String version, String advice) {
        if (identified.compareAndSet(false, true)) {
            log.atInfo().addKeyValue("broker", broker).addKeyValue("version", version)
                    .log("local broker is {}. {}; see {}", version, advice, DOCS);
        }
    }

    private void onDropped(String text) {
        long total;
        try {
            total = Long.parseLong(text);
        } catch (NumberFormatException e) {
            return;
        }
        long previous;
        synchronized (this) {
            previous = lastDropped;
            lastDropped = total;
        }
        long more = previous < 0 ? total : total - previous;
        if (more <= 0) {
            return; // unchanged, or the broker restarted and counts from 0 again
        }
        LogLimit.Pass pass = dropLog.admit();
        if (!pass.logs()) {
            return;
        }
        String what = previous < 0 ? "has dropped " + total + " messages since it started"
                : "dropped " + more + " more messages (" + total + " since it started)";
        log.atWarn().addKeyValue("broker", broker).addKeyValue("dropped", total).addKeyValue("suppressed", pass.suppressed())
                .log("the local broker {}, counting all its clients: those it dropped from the bridge's session had been"
                        + " acknowledged to devices and are lost. Raise its queue limits (Mosquitto: max_queued_messages"
                        + " 0), see {}{}", what, DOCS, pass.suffix());
    }

    /** The broker's own count of dropped messages (all clients), if it reports one. */
    synchronized Optional<Long> droppedReported() {
        return lastDropped < 0 ? Optional.empty() : Optional.of(lastDropped);
    }
}
