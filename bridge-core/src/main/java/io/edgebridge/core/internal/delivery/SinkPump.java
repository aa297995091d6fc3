package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.Direction;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.BackoffDelays;
import io.edgebridge.core.internal.SerialInbox;
import io.edgebridge.core.internal.route.CompiledTarget;
import io.edgebridge.core.internal.route.RenderContext;
import io.edgebridge.core.internal.route.SinkRoutes;
import io.edgebridge.core.internal.spool.DropReason;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.spool.SpoolEntry;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
 * <p>All mutable state is confined to the pump's own thread; sink callbacks hop onto it.
 */
public final class SinkPump {

    private static final Logger log = LoggerFactory.getLogger(SinkPump.class);

    private static final int READ_BATCH = 256;
    private static final Backoff RETRY = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), 0.2);
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

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

    private final AtomicLong readPos = new AtomicLong();
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final Runnable appendListener = this::wake;
    private final SerialInbox inbox;
    private final Map<String, Counter> dropCounters = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    // Pump-thread state.
    private final ArrayDeque<Delivery> window = new ArrayDeque<>();
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

    private volatile int outstanding;
    private volatile long cursor;
    /** Epoch ms of the last acknowledged send, 0 before the first: read by health checks. */
    private volatile long lastSuccessAt;
    private volatile boolean stopping;

    public SinkPump(String name, Sink sink, SinkRoutes routes, Spool spool, DeadLetters deadLetters,
            ScheduledExecutorService scheduler, BridgeMetrics metrics, int maxInFlight) {
        this.name = name;
        this.sink = sink;
        this.routes = routes;
        this.spool = spool;
        this.deadLetters = deadLetters;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.maxInFlight = maxInFlight;
        this.windowLimit = Math.max(maxInFlight * 4, READ_BATCH);
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
        readPos.set(position);
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
        while (outstanding < maxInFlight && !retries.isEmpty()) {
            send(retries.pollFirst());
        }
        while (outstanding < maxInFlight && window.size() < windowLimit) {
            batch.clear();
            long from = readPos.get();
            // One entry is usually one send; fan-out to several targets of this sink may overshoot a little.
            int room = Math.min(maxInFlight - outstanding, windowLimit - window.size());
            int n = spool.read(from, Math.min(READ_BATCH, room), batch);
            if (n == 0) {
                break;
            }
            long end = batch.get(n - 1).seq() + 1;
            long claimed = claim(end);
            for (SpoolEntry entry : batch) {
                if (entry.seq() >= claimed) {
                    dispatch(entry);
                }
            }
        }
        batch.clear();
        advance();
    }

    /**
     * Claims {@code [readPos, end)} for sending; returns the first claimed sequence number. A
     * concurrent drop may have moved {@code readPos} past entries we read: those were counted as
     * dropped and must not be sent.
     */
    private long claim(long end) {
        while (true) {
            long current = readPos.get();
            if (current >= end) {
                return end;
            }
            if (readPos.compareAndSet(current, end)) {
                return current;
            }
        }
    }

    private void dispatch(SpoolEntry entry) {
        Delivery delivery = new Delivery(entry);
        window.addLast(delivery);
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
                send(send);
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
            Throwable cause = unwrap(error);
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
            if (!stopping) {
                send(send);
            }
        }), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void deadLetter(Send send, String kind, String reason, String targetTopic) {
        SpoolEntry entry = send.delivery.entry;
        String route = send.target.route();
        log.atWarn().addKeyValue("route", route).addKeyValue("sink", name).addKeyValue("topic", entry.topic())
                .addKeyValue("seq", entry.seq())
                .log("dead-lettering to {}: {}", deadLetters.topicFor(route, name, entry), reason);
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
                        long delay = BackoffDelays.millis(RETRY, send.deadLetterAttempts++);
                        warn(send, "dead-letter publish failed, retrying in " + delay + " ms: " + unwrap(error).getMessage());
                        scheduler.schedule(() -> onExecutor(() -> {
                            if (!stopping) {
                                deadLetter(send, kind, reason, targetTopic);
                            }
                        }), delay, TimeUnit.MILLISECONDS);
                    }
                    checkDrained();
                }));
    }

    private void complete(Delivery delivery) {
        if (--delivery.pending == 0) {
            delivery.done = true;
            advance();
        }
    }

    private void advance() {
        while (!window.isEmpty() && window.peekFirst().done) {
            window.pollFirst();
        }
        long position = window.isEmpty() ? readPos.get() : Math.max(window.peekFirst().entry.seq(), spool.head());
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
                    .addKeyValue("topic", send.message == null ? "" : send.message.topic())
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

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    // ------------------------------------------------------------------ drops

    /**
     * Called on the spool's writer thread before it drops {@code [fromSeq, toSeq)}. Moves the read
     * position past the dropped range and returns the old one: entries from there on were never
     * handed to the sink and count as dropped for it.
     */
    public long claimDropped(long toSeq) {
        long old = readPos.getAndAccumulate(toSeq, Math::max);
        wake();
        return old;
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
     * acknowledged by then stay in the spool. The cursor stays where it got to.
     */
    public CompletableFuture<Void> stop(Duration timeout) {
        onExecutor(() -> {
            stopping = true;
            checkDrained();
        });
        // A disconnected sink will not acknowledge anything in the meantime: do not wait for it.
        long wait = sink.isConnected() ? timeout.toMillis() : 0;
        return drained.completeOnTimeout(null, wait, TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> {
                    if (outstanding > 0) {
                        log.atWarn().addKeyValue("sink", name)
                                .log("stopped with {} unacknowledged messages; they stay in the spool", outstanding);
                    }
                    spool.removeOnAppend(appendListener);
                    executor.shutdown();
                });
    }

    private void checkDrained() {
        if (stopping && outstanding == 0) {
            drained.complete(null);
        }
    }

    /** One spooled message for this sink: done when every target's send completed. */
    private static final class Delivery {
        final SpoolEntry entry;
        int pending;
        boolean done;

        Delivery(SpoolEntry entry) {
            this.entry = entry;
        }
    }

    /** One target's send of a delivery, with its attempt counters. */
    private static final class Send {
        final Delivery delivery;
        final CompiledTarget target;
        OutboundMessage message;
        int attempts;
        int round;
        int rejections;
        int deadLetterAttempts;

        Send(Delivery delivery, CompiledTarget target) {
            this.delivery = delivery;
            this.target = target;
        }
    }
}
