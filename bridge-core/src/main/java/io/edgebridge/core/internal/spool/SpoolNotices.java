package io.edgebridge.core.internal.spool;

import io.edgebridge.config.SpoolConfig;
import io.edgebridge.core.support.LogLimit;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WARN lines for what the spool gives up on, which a device flood can repeat many times a
 * second: drops ({@code drop-oldest}, {@code maxAge}) and {@code refuse-new} refusals. The first of
 * each kind is logged at once, then at most one line per interval with everything since the last
 * line (messages, ranges, sequence numbers); counts still held back are reported on the writer's
 * next tick after the interval. The meters count every message; these lines only say it happens.
 *
 * <p>Writer thread only.
 */
final class SpoolNotices {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);

    private final SpoolConfig config;
    private final LogLimit limit;
    private final Duration interval;
    private final Map<DropReason, Tally> drops = new EnumMap<>(DropReason.class);
    private long refused;

    SpoolNotices(SpoolConfig config, LongSupplier nanoClock, Duration interval) {
        this.config = config;
        this.limit = new LogLimit(interval, LogLimit.DEFAULT_MAX_LINES, nanoClock);
        this.interval = interval;
    }

    /** Entries {@code from} (inclusive) to {@code to} (exclusive) were dropped. */
    void dropped(DropReason reason, long from, long to) {
        Tally tally = drops.computeIfAbsent(reason, r -> new Tally());
        if (tally.ranges == 0) {
            tally.first = from;
        }
        tally.messages += to - from;
        tally.ranges++;
        tally.last = to - 1;
        reportDrops(reason, tally);
    }

    /** {@code messages} appends were refused because the spool is full ({@code refuse-new}). */
    void refusedFull(int messages) {
        refused += messages;
        reportRefused();
    }

    /** Logs what was held back once its interval is over. */
    void flush() {
        drops.forEach((reason, tally) -> {
            if (tally.messages > 0) {
                reportDrops(reason, tally);
            }
        });
        if (refused > 0) {
            reportRefused();
        }
    }

    private void reportDrops(DropReason reason, Tally tally) {
        if (!limit.admit("drop:" + reason.tag()).logs()) {
            return;
        }
        String why = reason == DropReason.SPOOL_FULL
                ? "maxBytes " + config.maxBytes() + " reached, whenFull: drop-oldest"
                : "older than maxAge " + config.maxAge();
        log.atWarn().addKeyValue("reason", reason.tag()).addKeyValue("dropped", tally.messages)
                .addKeyValue("ranges", tally.ranges)
                .log("spool dropped {} messages ({}) in {} range{}, sequence {} to {}; drops are logged at most once"
                        + " per {} s", tally.messages, why, tally.ranges, tally.ranges == 1 ? "" : "s", tally.first,
                        tally.last, intervalSeconds());
        tally.messages = 0;
        tally.ranges = 0;
    }

    private void reportRefused() {
        if (!limit.admit("refuse-new").logs()) {
            return;
        }
        log.atWarn().addKeyValue("refused", refused)
                .log("spool is full (maxBytes {}, whenFull: refuse-new): refused {} new messages; devices are"
                        + " refused until the sinks catch up (logged at most once per {} s)", config.maxBytes(),
                        refused, intervalSeconds());
        refused = 0;
    }

    private long intervalSeconds() {
        return interval.toSeconds();
    }

    private static final class Tally {
        long messages;
        long ranges;
        long first;
        long last;
    }
}
