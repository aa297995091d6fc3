package io.edgebridge.core.internal.local.auth;

import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts what the embedded broker refused and logs it: at most one WARN per client per 10 s, the
 * next one saying how many were suppressed. Logs name the client, user and topic, never a password.
 */
public final class RefusalLog {

    private static final Logger log = LoggerFactory.getLogger(RefusalLog.class);
    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int MAX_TRACKED_CLIENTS = 10_000;

    public enum Action { CONNECT, PUBLISH, SUBSCRIBE }

    private final BridgeMetrics metrics;
    private final LongSupplier nanoClock;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    public RefusalLog(BridgeMetrics metrics, LongSupplier nanoClock) {
        this.metrics = metrics;
        this.nanoClock = nanoClock;
    }

    private static final class Window {
        long start;
        int suppressed;

        Window(long start) {
            this.start = start;
        }
    }

    /**
     * @param topic the topic (publish) or filter (subscribe)
     */
    public void refused(Action action, String reason, String clientId, Optional<String> username,
            Optional<String> topic) {
        String actionTag = action.name().toLowerCase(java.util.Locale.ROOT);
        counters.computeIfAbsent(actionTag + "/" + reason, k -> metrics.localRefused(actionTag, reason)).increment();
        long now = nanoClock.getAsLong();
        int suppressed = -1;
        if (windows.size() >= MAX_TRACKED_CLIENTS) {
            windows.values().removeIf(w -> now - w.start >= INTERVAL_NANOS);
        }
        Window window = windows.computeIfAbsent(clientId, k -> new Window(now - INTERVAL_NANOS));
        synchronized (window) {
            if (now - window.start >= INTERVAL_NANOS) {
                suppressed = window.suppressed;
                window.start = now;
                window.suppressed = 0;
            } else {
                window.suppressed++;
            }
        }
        if (suppressed < 0) {
            return;
        }
        var event = log.atWarn().addKeyValue("clientId", clientId).addKeyValue("action", actionTag)
                .addKeyValue("reason", reason);
        if (username.isPresent()) {
            event = event.addKeyValue("username", username.get());
        }
        if (topic.isPresent()) {
            event = event.addKeyValue("topic", topic.get());
        }
        if (suppressed > 0) {
            event = event.addKeyValue("suppressed", suppressed);
        }
        event.log("local broker refused {} by client '{}'{}{}: {}{}", actionTag, clientId,
                username.map(u -> " (user '" + u + "')").orElse(""), topic.map(t -> " on '" + t + "'").orElse(""),
                reason, suppressed > 0 ? " (" + suppressed + " more refusals of this client not logged)" : "");
    }
}
