package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.Direction;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One sink's {@code dropped} counters by route and reason: every message it drops is counted with its reason. */
final class DropCounts {

    private final String sink;
    private final BridgeMetrics metrics;
    /** Written by the pump thread (undeliverable) and the spool's writer (spool drops). */
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    DropCounts(String sink, BridgeMetrics metrics) {
        this.sink = sink;
        this.metrics = metrics;
    }

    void increment(String route, String reason) {
        counters.computeIfAbsent(route + '\u0000' + reason,
                k -> metrics.dropped(Direction.UPSTREAM, route, sink, reason)).increment();
    }
}
