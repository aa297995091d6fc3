package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.Direction;
import io.edgebridge.config.RateLimit;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.support.BackoffDelays;
import io.edgebridge.core.internal.util.SerialInbox;
import io.edgebridge.core.internal.delivery.Lanes.Lane;
import io.edgebridge.core.internal.route.CompiledTarget;
import io.edgebridge.core.internal.route.RenderContext;
import io.edgebridge.core.internal.route.SinkRoutes;
import io.edgebridge.core.internal.spool.DropReason;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.spool.SpoolEntry;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves one sink's messages out of the spool: reads through the sink's cursor, renders each
 * matching target, keeps at most {@code maxInFlight} sends open, and advances the cursor over every
 * message whose sends all completed (acknowledged or dead-lettered). Failures are retried with
 * backoff; rejections go to the dead-letter topic after {@code maxAttempts}, never blocking the
 * messages behind them for longer than those retries. A transient failure (disconnected,
 * throttled) pauses the whole pump with exponential backoff; when the pause ends the failed sends
 * go out again first, in their original order.
 *
 * <p>With a {@code rateLimit}, every send waits for the {@link RateLimiter}, nothing is sent while
 * the sink is disconnected, and a pump that falls behind reads in two {@link Lanes} so that new
 * messages are not starved by the backlog.
 *
 * <p>All mutable state is confined to the pump's own thread; sink callbacks hop onto it.
 */
public final class SinkPump {

    private static final Logger log = LoggerFactory.getLogger(SinkPump.class);

    private static final int READ_BATCH = 256;
    /** A rate-limited pump reads less ahead: what it has read waits for the limit, and a spool drop no longer takes it. */
    private static final int LIMITED_READ_BATCH = 32;
    /** How often a rate-limited pump looks at its sink's connection while it has something to send or open. */
    private static final long LINK_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Backoff RETRY = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), 0.2);
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The {@code dropped} reason of a message whose dead letter the local broker can never take. */
    static final String UNDELIVERABLE = "undeliverable";

    private final String name;
    private final Sink sink;
    /** Replaced by a reload; read on the pump thread, and by {@link #countDropped} on the spool writer. */
    private volatile SinkRoutes routes;
    private final Spool spool;
    private final DeadLetters deadLetters;
    private final ScheduledExecutorService scheduler;
    private final BridgeMetrics metrics;
    private final int maxInFlight;
    private final int windowLimit;
    private final ExecutorService executor;

    private final Lanes lanes = new Lanes();
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final Runnable appendListener = this::wake;
    private final SerialInbox inbox;
    private final Map<String, Counter> dropCounters = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    /** Poison messages come as often as a device sends them: a line per route per interval, with a count. */
    private final LogLimit deadLetterLog = new LogLimit();
    private final LogLimit undeliverableLog = new LogLimit();

    // Pump-thread state.
    /** Sends that failed transiently; they go out again, in order, before anything new is read. */
    private final ArrayDeque<Send> retries = new ArrayDeque<>();
    private final List<SpoolEntry> batch = new ArrayList<>(READ_BATCH);
    private int consecutiveRetries;
    /** Counts pauses for transient failures; a send remembers the round it went out in. */
    private int retryRound;
    private long pausedUntilNanos;
    private boolean resumeScheduled;
    private long lastWarnNanos = System.nanoTime() - WARN_INTERVAL_NANOS;
    private int suppressedWarnings;

    // Rate-limit state (pump thread); limiter is null without a rate limit.
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

    private volatile int outstanding;
    private volatile long cursor;
    /** Epoch ms of the last acknowledged send, 0 before the first: read by health checks. */
    private volatile long lastSuccessAt;
    private volatile boolean stopping;
    /** Set on the pump thread when {@link #stop} completes: the cursor is no longer this pump's. */
    private boolean retired;

    public SinkPump(String name, Sink sink, SinkRoutes routes, Spool spool, DeadLetters deadLetters,
            ScheduledExecutorService scheduler, BridgeMetrics metrics, int maxInFlight) {
        this(name, sink, routes, spool, deadLetters, scheduler, metrics, maxInFlight, Optional.empty());
    }

    public SinkPump(String name, Sink sink, SinkRoutes routes, Spool spool, DeadLetters deadLetters,
            ScheduledExecutorService scheduler, BridgeMetrics metrics, int maxInFlight, Optional<RateLimit> rateLimit) {
        this.name = name;
        this.sink = sink;
        this.routes = routes;
        this.spool = spool;
        this.deadLetters = deadLetters;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.maxInFlight = maxInFlight;
        this.windowLimit = Math.max(maxInFlight * 4, READ_BATCH);
        this.limiter = rateLimit.map(RateLimiter::new).orElse(null);
        this.rateLimited = limiter == null ? null : metrics.rateLimited(name);
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pump-" + name);
            t.setDaemon(true);
            return t;
        });
        // Sink callbacks and wake-ups arrive in bursts: one drain runs them all, then sends more.
        this.inbox = new SerialInbox(executor, this::pump);
    }

    public String name() {
        return name;
    }

    /** Starts reading at {@code position} (the sink's stored cursor, or the spool's tail for a new sink). */
    public void start(long position) {
        lanes.start(position);
        cursor = position;
        spool.openCursor(name, position);
        spool.onAppend(appendListener);
        wake();
    }

    /**
     * Uses {@code next} for every message read from now on (a reload changed this sink's routes);
     * sends already made complete as they were rendered. Completes once the pump uses them.
     */
    public CompletableFuture<Void> routes(SinkRoutes next) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        onExecutor(() -> {
            routes = next;
            done.complete(null);
        });
        return done;
    }

    /** Messages sent and not yet acknowledged. */
    public int inFlight() {
        return outstanding;
    }

    /** When the sink last acknowledged a send (epoch ms), or 0 if it has not since the pump started. */
    public long lastSuccessAt() {
        return lastSuccessAt;
    }

    /** Everything below this sequence number is done for this sink. */
    public long cursor() {
        return cursor;
    }

    /** Spool entries after the cursor. */
    public long backlog() {
        return Math.max(0, spool.published() - cursor);
    }

    public void wake() {
        if (!stopping && wakeQueued.compareAndSet(false, true)) {
            inbox.submit(() -> wakeQueued.set(false));
        }
    }

    // ------------------------------------------------------------------ reading and sending

    private void pump() {
        if (stopping) {
            return;
        }
        long now = System.nanoTime();
        if (now < pausedUntilNanos) {
            if (!resumeScheduled) {
                resumeScheduled = true;
                scheduler.schedule(() -> onExecutor(() -> resumeScheduled = false),
                        pausedUntilNanos - now, TimeUnit.NANOSECONDS);
            }
            return;
        }
        if (limiter != null) {
            pumpLimited(now);
            return;
        }
        while (outstanding < maxInFlight && !retries.isEmpty()) {
            send(retries.pollFirst());
        }
        Lane lane = lanes.live();
        while (outstanding < maxInFlight && read(lane, READ_BATCH)) {
            // read() sent what it read
        }
        advance();
    }

    /**
     * Reads up to {@code max} entries of {@code lane} and dispatches them (sent at once, or queued
     * for the rate limit); false when there was nothing to read or no room in the window.
     */
    private boolean read(Lane lane, int max) {
        lane.removeDone();
        long from = lane.readPos();
        long end = lane.end();
        // One entry is usually one send; fan-out to several targets of this sink may overshoot a little.
        int room = Math.min(Math.min(max, maxInFlight - outstanding), windowLimit - lane.window.size());
        if (room <= 0 || from >= end) {
            return false;
        }
        batch.clear();
        int n = spool.read(from, (int) Math.min(room, end - from), batch);
        if (n == 0) {
            return false;
        }
        long last = Math.min(batch.get(n - 1).seq() + 1, end);
        long claimed = lanes.claim(lane, last);
        for (SpoolEntry entry : batch) {
            if (entry.seq() >= claimed && entry.seq() < last) {
                dispatch(entry, lane);
            }
        }
        batch.clear();
        return true;
    }

    // ------------------------------------------------------------------ rate limit and lanes

    /**
     * The rate-limited pump: retries first, then the lanes' ready sends, alternating between the
     * backlog and the live lane while both have work; each send waits for the limiter. When the
     * limit blocks, a wake-up is scheduled for the moment the next send is allowed.
     */
    private void pumpLimited(long now) {
        if (!sink.isConnected()) {
            // Sends made now would queue in the sink and all go out at the reconnect, past the limit.
            if (!sawDisconnected) {
                sawDisconnected = true;
                countResends(now);
            }
            if (hasWork()) {
                scheduleLinkCheck();
            }
            advance();
            return;
        }
        sawDisconnected = false;
        if (lanes.backlog() == null) {
            splitIfBehind();
        }
        while (outstanding < maxInFlight) {
            Lane lane = null;
            Send next = retries.peekFirst();
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
                retries.pollFirst();
            } else {
                lane.ready.pollFirst();
                backlogTurn = lane == lanes.live();
            }
            next.ticket = limiter.send(now, next.message.payload().length);
            if (throttling) {
                rateLimited.increment();
            }
            openSends.add(next);
            send(next);
            now = System.nanoTime();
        }
        if (!openSends.isEmpty()) {
            scheduleLinkCheck(); // to see a disconnect while nothing else wakes the pump
        }
        advance();
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
        Lane live = lanes.live();
        Lane backlog = lanes.backlog();
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
            if (!read(lane, LIMITED_READ_BATCH)) {
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
        Lane live = lanes.live();
        long published = spool.published();
        long behind = published - live.readPos() + live.ready.size();
        if (behind > Math.min(maxInFlight, limiter.messagesPerWindow())) {
            lanes.split(published);
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
            scheduler.schedule(() -> onExecutor(() -> {
                if (wakeAtNanos == at) {
                    wakeScheduled = false;
                }
            }), waitNanos, TimeUnit.NANOSECONDS);
        }
    }

    private boolean hasWork() {
        Lane live = lanes.live();
        Lane backlog = lanes.backlog();
        return !retries.isEmpty() || !live.ready.isEmpty() || spool.published() > live.readPos()
                || backlog != null && (!backlog.ready.isEmpty() || backlog.readPos() < backlog.end());
    }

    private void scheduleLinkCheck() {
        if (!linkCheckScheduled) {
            linkCheckScheduled = true;
            scheduler.schedule(() -> onExecutor(() -> linkCheckScheduled = false), LINK_CHECK_NANOS,
                    TimeUnit.NANOSECONDS);
        }
    }

    private void dispatch(SpoolEntry entry, Lane lane) {
        Delivery delivery = new Delivery(entry);
        lane.window.addLast(delivery);
        for (SinkRoutes.Match match : routes.match(entry.topic())) {
            RenderContext ctx = new RenderContext(entry.topic(), match.bindings(), match.route().name(), name,
                    entry.receivedAt(), entry.payload());
            for (CompiledTarget target : match.targets()) {
                Send send = new Send(delivery, target);
                delivery.pending++;
                try {
                    send.message = target.render(ctx, entry.seq());
                } catch (RuntimeException e) {
                    target.meters().failedPermanent().increment();
                    deadLetter(send, "permanent", "could not render the message: " + e.getMessage(),
                            target.topic().source().text());
                    continue;
                }
                if (limiter == null) {
                    send(send);
                } else {
                    lane.ready.addLast(send);
                }
            }
        }
        if (delivery.pending == 0) {
            delivery.done = true;
        }
    }

    private void send(Send send) {
        outstanding++;
        send.attempts++;
        send.round = retryRound;
        CompletionStage<Void> stage;
        try {
            stage = sink.send(send.message);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((ok, error) -> onExecutor(() -> onResult(send, error)));
    }

    private void onResult(Send send, Throwable error) {
        if (limiter != null) {
            long now = System.nanoTime();
            limiter.complete(send.ticket, now);
            if (send.resendTicket >= 0) {
                limiter.complete(send.resendTicket, now);
                send.resendTicket = -1;
            }
            openSends.remove(send);
        }
        outstanding--;
        CompiledTarget target = send.target;
        if (error == null) {
            target.meters().forwarded().increment();
            target.meters().forwardedBytes().increment(send.message.payload().length);
            long now = System.currentTimeMillis();
            target.meters().latency().record(Math.max(0, now - send.delivery.entry.receivedAt()), TimeUnit.MILLISECONDS);
            lastSuccessAt = now;
            if (consecutiveRetries > 0) {
                log.atInfo().addKeyValue("sink", name).log("sends succeed again after {} failed attempts",
                        consecutiveRetries);
                consecutiveRetries = 0;
            }
            complete(send.delivery);
        } else {
            Throwable cause = Futures.unwrap(error);
            DeliveryException.Disposition disposition;
            String reason;
            if (cause instanceof DeliveryException de) {
                disposition = de.disposition();
                reason = de.reason();
            } else {
                disposition = DeliveryException.Disposition.REJECTED;
                reason = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
            }
            switch (disposition) {
                case RETRY -> {
                    target.meters().failedRetry().increment();
                    retries.addLast(send);
                    // The sends that were out together usually fail together (a lost connection, a failover
                    // switch): the first failure pauses the pump, the others wait out that same pause, so
                    // the backoff grows per failed round rather than per failed message.
                    if (send.round == retryRound) {
                        retryRound++;
                        consecutiveRetries++;
                        long delay = BackoffDelays.millis(RETRY, consecutiveRetries - 1);
                        pausedUntilNanos = Math.max(pausedUntilNanos,
                                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay));
                        warn(send, "send failed, retrying in " + delay + " ms: " + reason);
                    }
                }
                case REJECTED -> {
                    target.meters().failedRejected().increment();
                    send.rejections++;
                    if (send.rejections >= deadLetters.maxAttempts()) {
                        deadLetter(send, "rejected", reason + " (after " + send.rejections + " attempts)",
                                send.message.topic());
                    } else {
                        long delay = BackoffDelays.millis(RETRY, send.rejections - 1);
                        warn(send, "sink rejected the message (attempt " + send.rejections + " of "
                                + deadLetters.maxAttempts() + "), retrying in " + delay + " ms: " + reason);
                        retryLater(send, delay);
                    }
                }
                case PERMANENT -> {
                    target.meters().failedPermanent().increment();
                    deadLetter(send, "permanent", reason, send.message.topic());
                }
            }
        }
        checkDrained();
    }

    private void retryLater(Send send, long delayMillis) {
        scheduler.schedule(() -> onExecutor(() -> {
            if (stopping) {
                return;
            }
            if (limiter == null) {
                send(send);
            } else {
                retries.addLast(send); // through the rate limit, first in line
            }
        }), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void deadLetter(Send send, String kind, String reason, String targetTopic) {
        SpoolEntry entry = send.delivery.entry;
        String route = send.target.route();
        LogLimit.Pass pass = deadLetterLog.admit(route);
        if (pass.logs()) {
            log.atWarn().addKeyValue("route", route).addKeyValue("sink", name)
                    .addKeyValue("topic", DeadLetterText.logged(entry.topic())).addKeyValue("seq", entry.seq())
                    .log("dead-lettering to {}: {}{}", deadLetters.topicFor(route, name, entry),
                            DeadLetterText.logged(reason), pass.suffix());
        }
        outstanding++;
        deadLetters.publish(route, name, entry, targetTopic, reason)
                .whenComplete((ok, error) -> onExecutor(() -> {
                    outstanding--;
                    if (error == null) {
                        if (kind.equals("rejected")) {
                            send.target.meters().deadLetteredRejected().increment();
                        } else {
                            send.target.meters().deadLetteredPermanent().increment();
                        }
                        complete(send.delivery);
                    } else if (!stopping) {
                        deadLetterFailed(send, kind, reason, targetTopic, DeadLetters.classify(error));
                    }
                    checkDrained();
                }));
    }

    /**
     * The local broker did not take a dead letter. While it cannot be reached the dead letter is tried
     * again with backoff, for as long as it takes; one it refuses is tried {@code maxAttempts} times, and
     * one it can never take is given up at once: such a message is counted as
     * {@code dropped{reason=undeliverable}} and skipped, so it never holds back the messages behind it.
     */
    private void deadLetterFailed(Send send, String kind, String reason, String targetTopic, DeliveryException failure) {
        boolean giveUp = switch (failure.disposition()) {
            case RETRY -> false;
            case REJECTED -> ++send.deadLetterRejections >= deadLetters.maxAttempts();
            case PERMANENT -> true;
        };
        if (giveUp) {
            undeliverable(send, reason, failure.reason());
            return;
        }
        long delay = BackoffDelays.millis(RETRY, send.deadLetterAttempts++);
        warn(send, "dead-letter publish failed, retrying in " + delay + " ms: " + failure.reason());
        scheduler.schedule(() -> onExecutor(() -> {
            if (!stopping) {
                deadLetter(send, kind, reason, targetTopic);
            }
        }), delay, TimeUnit.MILLISECONDS);
    }

    private void undeliverable(Send send, String reason, String why) {
        SpoolEntry entry = send.delivery.entry;
        String route = send.target.route();
        dropCounters.computeIfAbsent(route + '\u0000' + UNDELIVERABLE,
                k -> metrics.dropped(Direction.UPSTREAM, route, name, UNDELIVERABLE)).increment();
        LogLimit.Pass pass = undeliverableLog.admit(route);
        if (pass.logs()) {
            log.atError().addKeyValue("route", route).addKeyValue("sink", name)
                    .addKeyValue("topic", DeadLetterText.logged(entry.topic())).addKeyValue("seq", entry.seq())
                    .log("message dropped (undeliverable): the sink will not take it ({}) and the local broker"
                            + " not its dead letter ({}){}", DeadLetterText.logged(reason), DeadLetterText.logged(why),
                            pass.suffix());
        }
        complete(send.delivery);
    }

    private void complete(Delivery delivery) {
        if (--delivery.pending == 0) {
            delivery.done = true;
            advance();
        }
    }

    private void advance() {
        if (retired) {
            return; // the cursor belongs to whoever took the sink over
        }
        Lane low = lanes.live();
        low.removeDone();
        Lane backlog = lanes.backlog();
        if (backlog != null) {
            backlog.removeDone();
            if (backlog.finished()) {
                lanes.merge();
                log.atDebug().addKeyValue("sink", name).log("backlog drained; one lane again");
            } else {
                low = backlog; // its first message not done is the sink's
            }
        }
        long position = low.window.isEmpty() ? low.readPos()
                : Math.max(low.window.peekFirst().entry.seq(), spool.head());
        if (position > cursor) {
            cursor = position;
            spool.moveCursor(name, position);
        }
    }

    private void warn(Send send, String message) {
        long now = System.nanoTime();
        if (now - lastWarnNanos >= WARN_INTERVAL_NANOS) {
            lastWarnNanos = now;
            log.atWarn().addKeyValue("sink", name).addKeyValue("route", send.target.route())
                    .addKeyValue("topic", send.message == null ? "" : DeadLetterText.logged(send.message.topic()))
                    .log("{}{}", message, suppressedWarnings > 0 ? " (" + suppressedWarnings + " similar since)" : "");
            suppressedWarnings = 0;
        } else {
            suppressedWarnings++;
        }
    }

    /** Runs {@code task} on the pump thread; once stopped, it is dropped (messages stay in the spool). */
    private void onExecutor(Runnable task) {
        inbox.submit(task);
    }


    // ------------------------------------------------------------------ drops

    /**
     * Called on the spool's writer thread before it drops {@code [fromSeq, toSeq)}. Moves the read
     * positions past the dropped range and returns which of its entries were never handed to the
     * sink: those count as dropped for it.
     */
    public Unsent claimDropped(long toSeq) {
        Unsent unsent = lanes.claimDropped(toSeq);
        wake();
        return unsent;
    }

    /**
     * The entries of a dropped range a pump was never given: from {@code first} on, except
     * {@code [sentFrom, sentTo)}, which a live lane had already taken while a backlog drained.
     */
    public record Unsent(long first, long sentFrom, long sentTo) {

        public boolean contains(long seq) {
            return seq >= first && (seq < sentFrom || seq >= sentTo);
        }
    }

    /** Counts one dropped entry for every target of this sink it would have gone to. */
    public void countDropped(SpoolEntry entry, DropReason reason) {
        for (SinkRoutes.Match match : routes.match(entry.topic())) {
            for (CompiledTarget target : match.targets()) {
                dropCounters.computeIfAbsent(target.route() + '\u0000' + reason.tag(),
                        k -> metrics.dropped(Direction.UPSTREAM, target.route(), name, reason.tag())).increment();
            }
        }
    }

    // ------------------------------------------------------------------ stopping

    /**
     * Stops reading new messages and waits (bounded) for the sends already open; messages not
     * acknowledged by then stay in the spool. The cursor stays where it got to: the first message not
     * done. Once the returned stage completes the pump never moves the cursor again, so a pump that
     * takes over the sink (a reload recreated it) can start there: late acknowledgements of the old
     * sink are ignored, and what they would have covered is sent again (a duplicate, never a loss).
     */
    public CompletableFuture<Void> stop(Duration timeout) {
        onExecutor(() -> {
            stopping = true;
            checkDrained();
        });
        // A disconnected sink will not acknowledge anything in the meantime: do not wait for it.
        long wait = sink.isConnected() ? timeout.toMillis() : 0;
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        drained.completeOnTimeout(null, wait, TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
            Runnable retire = () -> {
                retired = true;
                if (outstanding > 0) {
                    log.atWarn().addKeyValue("sink", name).log(
                            "stopped with {} unacknowledged messages; they stay in the spool and are sent again",
                            outstanding);
                }
                spool.removeOnAppend(appendListener);
                executor.shutdown();
                stopped.complete(null);
            };
            // On the pump thread, after whatever it is doing: from then on it no longer touches the cursor.
            if (!inbox.submit(retire)) {
                retire.run();
            }
        });
        return stopped;
    }

    private void checkDrained() {
        if (stopping && outstanding == 0) {
            drained.complete(null);
        }
    }

    /** One spooled message for this sink: done when every target's send completed. */
    static final class Delivery {
        final SpoolEntry entry;
        int pending;
        boolean done;

        Delivery(SpoolEntry entry) {
            this.entry = entry;
        }
    }

    /** One target's send of a delivery, with its attempt counters. */
    static final class Send {
        final Delivery delivery;
        final CompiledTarget target;
        OutboundMessage message;
        int attempts;
        int round;
        int rejections;
        /** Dead-letter publishes that failed transiently, and that the local broker refused. */
        int deadLetterAttempts;
        int deadLetterRejections;
        /** The rate limiter's ticket for the current attempt, and for a link's re-send of it (or -1). */
        long ticket;
        long resendTicket = -1;

        Send(Delivery delivery, CompiledTarget target) {
            this.delivery = delivery;
            this.target = target;
        }
    }
}
