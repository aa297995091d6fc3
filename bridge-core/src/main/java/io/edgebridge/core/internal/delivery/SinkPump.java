package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.RateLimit;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.delivery.Lanes.Lane;
import io.edgebridge.core.internal.route.CompiledTarget;
import io.edgebridge.core.internal.route.RenderContext;
import io.edgebridge.core.internal.route.SinkRoutes;
import io.edgebridge.core.internal.spool.DropReason;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.spool.SpoolEntry;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.internal.util.SerialInbox;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 * message whose sends all completed (acknowledged or dead-lettered). The parts, all on the pump's
 * own thread (sink callbacks hop onto it):
 * <ul>
 *   <li>{@link SinkCursor}: reading the spool, the messages in flight, the cursor and its hand-over
 *       on stop;
 *   <li>{@link FailurePolicy}: a failed send is retried with backoff (a transient failure pauses
 *       the whole pump, and the failed sends go out again first, in order), or dead-lettered, or
 *       dropped as undeliverable, never blocking the messages behind it for longer than its retries;
 *   <li>{@link RateLimitedLanes}: with a {@code rateLimit}, every send waits for the limit, nothing is
 *       sent while the sink is disconnected, and a pump that falls behind reads in two lanes.
 * </ul>
 */
public final class SinkPump {

    private static final Logger log = LoggerFactory.getLogger(SinkPump.class);

    private final String name;
    private final Sink sink;
    /** Replaced by a reload; read on the pump thread, and by {@link #countDropped} on the spool writer. */
    private volatile SinkRoutes routes;
    private final Spool spool;
    private final ExecutorService executor;

    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final Runnable appendListener = this::wake;
    private final SerialInbox inbox;
    private final DropCounts drops;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final PumpThread thread = new Callbacks();
    private final SinkCursor cursor;
    private final FailurePolicy failures;
    /** Null without a rate limit. */
    private final RateLimitedLanes limited;

    /** Epoch ms of the last acknowledged send, 0 before the first: read by health checks. */
    private volatile long lastSuccessAt;
    private volatile boolean stopping;

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
        this.drops = new DropCounts(name, metrics);
        this.cursor = new SinkCursor(name, spool, maxInFlight, this::dispatch);
        this.failures = new FailurePolicy(name, thread, cursor, deadLetters, scheduler, drops, rateLimit.isPresent());
        this.limited = rateLimit.map(limit -> new RateLimitedLanes(name, sink, spool, scheduler, thread, cursor,
                failures, limit, metrics)).orElse(null);
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
        cursor.start(position);
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
        return cursor.inFlight();
    }

    /** When the sink last acknowledged a send (epoch ms), or 0 if it has not since the pump started. */
    public long lastSuccessAt() {
        return lastSuccessAt;
    }

    /** Everything below this sequence number is done for this sink. */
    public long cursor() {
        return cursor.position();
    }

    /** Spool entries after the cursor. */
    public long backlog() {
        return cursor.backlog();
    }

    public void wake() {
        if (!stopping && wakeQueued.compareAndSet(false, true)) {
            inbox.submit(() -> wakeQueued.set(false));
        }
    }

    // ------------------------------------------------------------------ sending

    /** After every burst of callbacks on the pump thread: sends what it can, then moves the cursor. */
    private void pump() {
        if (stopping) {
            return;
        }
        long now = System.nanoTime();
        if (failures.waiting(now)) {
            return;
        }
        if (limited != null) {
            limited.pump(now);
            return;
        }
        while (cursor.hasRoom() && failures.hasRetries()) {
            send(failures.pollRetry());
        }
        Lane lane = cursor.lanes().live();
        while (cursor.hasRoom() && cursor.read(lane)) {
            // read() dispatched what it read
        }
        cursor.advance();
    }

    /** Renders a message just read for each target of this sink; sends each at once, or queues it for the limit. */
    private void dispatch(Delivery delivery, Lane lane) {
        SpoolEntry entry = delivery.entry;
        for (SinkRoutes.Match match : routes.match(entry.topic())) {
            RenderContext ctx = new RenderContext(entry.topic(), match.bindings(), match.route().name(), name,
                    entry.receivedAt(), entry.payload());
            for (CompiledTarget target : match.targets()) {
                Send send = new Send(delivery, target);
                delivery.pending++;
                try {
                    send.message = target.render(ctx, entry.seq());
                } catch (RuntimeException e) {
                    failures.renderFailed(send, e);
                    continue;
                }
                if (limited == null) {
                    send(send);
                } else {
                    lane.ready.addLast(send);
                }
            }
        }
    }

    private void send(Send send) {
        cursor.opened();
        send.attempts++;
        send.round = failures.round();
        CompletionStage<Void> stage;
        try {
            stage = sink.send(send.message);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((ok, error) -> onExecutor(() -> onResult(send, error)));
    }

    private void onResult(Send send, Throwable error) {
        if (limited != null) {
            limited.completed(send);
        }
        cursor.closed();
        if (error == null) {
            CompiledTarget target = send.target;
            target.meters().forwarded().increment();
            target.meters().forwardedBytes().increment(send.message.payload().length);
            long now = System.currentTimeMillis();
            target.meters().latency().record(Math.max(0, now - send.delivery.entry.receivedAt()),
                    TimeUnit.MILLISECONDS);
            lastSuccessAt = now;
            failures.succeeded();
            cursor.complete(send.delivery);
        } else {
            failures.failed(send, error);
        }
        checkDrained();
    }

    /** Runs {@code task} on the pump thread; once stopped, it is dropped (messages stay in the spool). */
    private void onExecutor(Runnable task) {
        inbox.submit(task);
    }

    /** The pump thread for its parts; a separate class, so that SinkPump gains no public methods. */
    private final class Callbacks implements PumpThread {

        @Override
        public void execute(Runnable task) {
            onExecutor(task);
        }

        @Override
        public boolean stopping() {
            return stopping;
        }

        @Override
        public void send(Send send) {
            SinkPump.this.send(send);
        }

        @Override
        public void checkDrained() {
            SinkPump.this.checkDrained();
        }
    }

    // ------------------------------------------------------------------ drops

    /**
     * Called on the spool's writer thread before it drops {@code [fromSeq, toSeq)}. Moves the read
     * positions past the dropped range and returns which of its entries were never handed to the
     * sink: those count as dropped for it.
     */
    public Unsent claimDropped(long toSeq) {
        Unsent unsent = cursor.claimDropped(toSeq);
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
                drops.increment(target.route(), reason.tag());
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
                cursor.retire();
                int open = cursor.inFlight();
                if (open > 0) {
                    log.atWarn().addKeyValue("sink", name).log(
                            "stopped with {} unacknowledged messages; they stay in the spool and are sent again",
                            open);
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
        if (stopping && cursor.inFlight() == 0) {
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
