package io.edgebridge.core.internal.stats;

import io.edgebridge.config.Direction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The periodic one-line summary of what the bridge did, per direction. */
public final class StatsLog implements Runnable {

    private static final Logger log = LoggerFactory.getLogger("io.edgebridge.stats");

    private final MeterRegistry registry;
    private final Supplier<String> extra;

    /** {@code extra} appends state the counters do not hold (spool, sinks). */
    public StatsLog(MeterRegistry registry, Supplier<String> extra) {
        this.registry = registry;
        this.extra = extra;
    }

    @Override
    public void run() {
        try {
            log.info("{}", line());
        } catch (RuntimeException e) {
            log.debug("stats line failed", e);
        }
    }

    public String line() {
        return "upstream " + direction(Direction.UPSTREAM) + " | downstream " + direction(Direction.DOWNSTREAM)
                + " | " + extra.get();
    }

    private String direction(Direction d) {
        return "received=" + sum(BridgeMeter.RECEIVED, d)
                + " forwarded=" + sum(BridgeMeter.FORWARDED, d)
                + " failed=" + sum(BridgeMeter.FAILED, d)
                + " dropped=" + sum(BridgeMeter.DROPPED, d)
                + " deadLettered=" + sum(BridgeMeter.DEAD_LETTERED, d);
    }

    /** Sum of a counter over every route and sink of one direction. */
    public long sum(BridgeMeter meter, Direction direction) {
        double total = 0;
        for (Counter c : registry.find(meter.meterName()).tag("direction", direction.tag()).counters()) {
            total += c.count();
        }
        return (long) total;
    }
}
