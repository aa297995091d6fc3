package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.RateLimit;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.delivery.Lanes.Lane;
import io.edgebridge.core.internal.delivery.SinkPump.Send;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a pump with a {@code rateLimit} sends: through the {@link RateLimiter}, only while the sink is
 * connected, and from two {@link Lanes} in turn while it drains a backlog, so new messages are not
 * starved by it. Pump thread only.
 */
final class RateLimitedLanes {

    /** Logs as the pump it belongs to. */
    private static final Logger log = LoggerFactory.getLogger(SinkPump.class);

    /** Reads less ahead: what it has read waits for the limit, and a spool drop no longer takes it. */
    private static final int READ_BATCH = 32;
    /** How often it looks at its sink's connection while it has something to send or open. */
    private static final long LINK_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String name;
    private final Sink sink;
    private final Spool spool;
    private final ScheduledExecutorService scheduler;
    private final PumpThread pump;
    private final SinkCursor cursor;
    private final FailurePolicy failures;
    private final RateLimiter limiter;
    private final Counter rateLimited;

    /** Which lane goes first next while there are two. */
    private boolean backlogTurn;
    /** The limit held a send back and the sends queued since have not all gone out yet. */
    private boolean throttling;
    private boolean wakeScheduled;
    private long wakeAtNanos;
    private boolean linkCheckScheduled;
    private boolean sawDisconnected;
    /** Sends not yet answered: a link that reconnects sends them again. */
    private final Set<Send> openSends = new LinkedHashSet<>();

    RateLimitedLanes(String name, Sink sink, Spool spool, ScheduledExecutorService scheduler, PumpThread pump,
            SinkCursor cursor, FailurePolicy failures, RateLimit limit, BridgeMetrics metrics) {
        this.name = name;
        this.sink = sink;
        this.spool = spool;
        this.scheduler = scheduler;
        this.pump = pump;
        this.cursor = cursor;
        this.failures = failures;
        this.limiter = new RateLimiter(limit);
        this.rateLimited = metrics.rateLimited(name);
    }

    /**
     * Sends what the limit allows now: retries first, then the lanes' ready sends, alternating between
     * the backlog and the live lane while both have work. When the limit blocks, a wake-up is scheduled
     * for the moment the next send is allowed.
     */
    void pump(long now) {
        if (!sink.isConnected()) {
            // Sends made now would queue in the sink and all go out at the reconnect, past the limit.
            if (!sawDisconnected) {
                sawDisconnected = true;
                countResends(now);
            }
            if (hasWork()) {
                scheduleLinkCheck();
            }
            cursor.advance();
            return;
        }
        sawDisconnected = false;
        if (cursor.lanes().backlog() == null) {
            splitIfBehind();
        }
        while (cursor.hasRoom()) {
            Lane lane = null;
            Send next = failures.peekRetry();
            if (next == null) {
                lane = nextLane();
                if (lane == null) {
                    throttling = false; // caught up
                    break;
                }
                next = lane.ready.peekFirst();
            }
            long wait = limiter.delayNanos(now, next.message.payload().length);
            if (wait == RateLimiter.UNTIL_COMPLETION) {
                throttling = true; // the completion wakes the pump
                break;
            }
            if (wait > 0) {
                throttled(now, wait);
                break;
            }
            if (lane == null) {
                failures.pollRetry();
            } else {
                lane.ready.pollFirst();
                backlogTurn = lane == cursor.lanes().live();
            }
            next.ticket = limiter.send(now, next.message.payload().length);
            if (throttling) {
                rateLimited.increment();
            }
            openSends.add(next);
            pump.send(next);
            now = System.nanoTime();
        }
        if (!openSends.isEmpty()) {
            scheduleLinkCheck(); // to see a disconnect while nothing else wakes the pump
        }
        cursor.advance();
    }

    /** The sink answered {@code send}: its places in the limit are counted from now on. */
    void completed(Send send) {
        long now = System.nanoTime();
        limiter.complete(send.ticket, now);
        if (send.resendTicket >= 0) {
            limiter.complete(send.resendTicket, now);
            send.resendTicket = -1;
        }
        openSends.remove(send);
    }

    /**
     * The sink went down with sends open: its link will send them again after the reconnect, and
     * the server may then count them twice. Each gets a second place in the limit, held until it
     * completes (at the reconnect at the earliest).
     */
    private void countResends(long now) {
        for (Send open : openSends) {
            if (open.resendTicket < 0) {
                open.resendTicket = limiter.send(now, open.message.payload().length);
            }
        }
    }

    /** The lane whose turn it is, if it has a send ready, else the other one; null when neither has. */
    private Lane nextLane() {
        Lane live = cursor.lanes().live();
        Lane backlog = cursor.lanes().backlog();
        if (backlog == null) {
            return hasReady(live) ? live : null;
        }
        Lane first = backlogTurn ? backlog : live;
        Lane second = first == backlog ? live : backlog;
        if (hasReady(first)) {
            return first;
        }
        return hasReady(second) ? second : null;
    }

    /** Whether the lane has a send ready, reading more if it has none. */
    private boolean hasReady(Lane lane) {
        while (lane.ready.isEmpty()) {
            if (!cursor.read(lane, READ_BATCH)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Behind by more than a window's worth of the rate (or {@code maxInFlight}): what is in the
     * spool now becomes the backlog lane, and what arrives from now on goes by the live lane.
     */
    private void splitIfBehind() {
        Lane live = cursor.lanes().live();
        long published = spool.published();
        long behind = published - live.readPos() + live.ready.size();
        if (behind > Math.min(cursor.maxInFlight(), limiter.messagesPerWindow())) {
            cursor.lanes().split(published);
            backlogTurn = false;
            log.atInfo().addKeyValue("sink", name).log(
                    "{} messages behind its rate limit: new messages now go out alongside the backlog", behind);
        }
    }

    private void throttled(long now, long waitNanos) {
        throttling = true;
        long at = now + waitNanos;
        if (!wakeScheduled || at - wakeAtNanos < 0) {
            wakeScheduled = true;
            wakeAtNanos = at;
            scheduler.schedule(() -> pump.execute(() -> {
                if (wakeAtNanos == at) {
                    wakeScheduled = false;
                }
            }), waitNanos, TimeUnit.NANOSECONDS);
        }
    }

    private boolean hasWork() {
        Lane live = cursor.lanes().live();
        Lane backlog = cursor.lanes().backlog();
        return failures.hasRetries() || !live.ready.isEmpty() || spool.published() > live.readPos()
                || backlog != null && (!backlog.ready.isEmpty() || backlog.readPos() < backlog.end());
    }

    private void scheduleLinkCheck() {
        if (!linkCheckScheduled) {
            linkCheckScheduled = true;
            scheduler.schedule(() -> pump.execute(() -> linkCheckScheduled = false), LINK_CHECK_NANOS,
                    TimeUnit.NANOSECONDS);
        }
    }
}
