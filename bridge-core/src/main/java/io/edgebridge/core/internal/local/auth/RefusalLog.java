package io.edgebridge.core.internal.local.auth;

import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.support.LogLimit;
import io.micrometer.core.instrument.Counter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts what the embedded broker refused and logs it: at most one WARN per client per 10 s, and at
 * most 20 per 10 s across clients (an attacker rotating client ids would otherwise get one line
 * each); the next line says how many were not logged. Logs name the client, user and topic, never a
 * password.
 */
public final class RefusalLog {

    private static final Logger log = LoggerFactory.getLogger(RefusalLog.class);

    public enum Action { CONNECT, PUBLISH, SUBSCRIBE }

    private final BridgeMetrics metrics;
    private final LogLimit limit;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public RefusalLog(BridgeMetrics metrics, LongSupplier nanoClock) {
        this.metrics = metrics;
        this.limit = new LogLimit(LogLimit.DEFAULT_INTERVAL, LogLimit.DEFAULT_MAX_LINES, nanoClock);
    }

    /**
     * @param topic the topic (publish) or filter (subscribe)
     */
    public void refused(Action action, String reason, String clientId, Optional<String> username,
            Optional<String> topic) {
        String actionTag = action.name().toLowerCase(java.util.Locale.ROOT);
        counters.computeIfAbsent(actionTag + "/" + reason, k -> metrics.localRefused(actionTag, reason)).increment();
        LogLimit.Pass pass = limit.admit(clientId);
        if (!pass.logs()) {
            return;
        }
        long suppressed = pass.suppressed();
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
                reason, suppressed > 0 ? " (" + suppressed + " more refusals not logged)" : "");
    }
}
