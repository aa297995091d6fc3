package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.Backoff;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.internal.delivery.SinkPump.Send;
import io.edgebridge.core.internal.route.CompiledTarget;
import io.edgebridge.core.internal.spool.SpoolEntry;
import io.edgebridge.core.support.BackoffDelays;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a pump does with a failed send: retry it with backoff, dead-letter it, or (when the local broker
 * will not take the dead letter either) count it dropped as {@value #UNDELIVERABLE}; one poison message
 * never holds back the others. Pump thread only.
 */
final class FailurePolicy {

    /** Logs as the pump it belongs to. */
    private static final Logger log = LoggerFactory.getLogger(SinkPump.class);

    private static final Backoff RETRY = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), 0.2);
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The {@code dropped} reason of a message whose dead letter the local broker can never take. */
    static final String UNDELIVERABLE = "undeliverable";

    private final String name;
    private final PumpThread pump;
    private final SinkCursor cursor;
    private final DeadLetters deadLetters;
    private final ScheduledExecutorService scheduler;
    private final DropCounts drops;
    /** Rate-limited pumps send a message tried again through the limit, ahead of everything else. */
    private final boolean rateLimited;
    /** Poison messages come as often as a device sends them: a line per route per interval, with a count. */
    private final LogLimit deadLetterLog = new LogLimit();
    private final LogLimit undeliverableLog = new LogLimit();

    /** Sends that failed transiently; they go out again, in order, before anything new is read. */
    private final ArrayDeque<Send> retries = new ArrayDeque<>();
    private int consecutiveRetries;
    /** Counts pauses for transient failures; a send remembers the round it went out in. */
    private int retryRound;
    private long pausedUntilNanos;
    private boolean resumeScheduled;
    private long lastWarnNanos = System.nanoTime() - WARN_INTERVAL_NANOS;
    private int suppressedWarnings;

    FailurePolicy(String name, PumpThread pump, SinkCursor cursor, DeadLetters deadLetters,
            ScheduledExecutorService scheduler, DropCounts drops, boolean rateLimited) {
        this.name = name;
        this.pump = pump;
        this.cursor = cursor;
        this.deadLetters = deadLetters;
        this.scheduler = scheduler;
        this.drops = drops;
        this.rateLimited = rateLimited;
    }

    // ------------------------------------------------------------------ retries and the retry wait

    /** The pump waits out a backoff; a wake-up is scheduled for its end. */
    boolean waiting(long now) {
        if (now >= pausedUntilNanos) {
            return false;
        }
        if (!resumeScheduled) {
            resumeScheduled = true;
            scheduler.schedule(() -> pump.execute(() -> resumeScheduled = false),
                    pausedUntilNanos - now, TimeUnit.NANOSECONDS);
        }
        return true;
    }

    /** The failed round a send going out now belongs to. */
    int round() {
        return retryRound;
    }

    boolean hasRetries() {
        return !retries.isEmpty();
    }

    /** The next send to try again, or null. */
    Send peekRetry() {
        return retries.peekFirst();
    }

    Send pollRetry() {
        return retries.pollFirst();
    }

    /** A send was acknowledged: the backoff starts over. */
    void succeeded() {
        if (consecutiveRetries > 0) {
            log.atInfo().addKeyValue("sink", name).log("sends succeed again after {} failed attempts",
                    consecutiveRetries);
            consecutiveRetries = 0;
        }
    }

    // ------------------------------------------------------------------ classifying a failure

    /**
     * The sink failed {@code send}. {@code RETRY} (disconnected, throttled): the whole pump pauses with
     * backoff and the send goes out again first, in order. {@code REJECTED}: the message alone is tried
     * again with backoff, and dead-lettered after {@code maxAttempts}. {@code PERMANENT}: dead-lettered.
     */
    void failed(Send send, Throwable error) {
        CompiledTarget target = send.target;
        DeliveryException failure = classify(error);
        String reason = failure.reason();
        switch (failure.disposition()) {
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

    /** A sink's {@link DeliveryException} as it is; anything else it throws is a rejection. */
    private static DeliveryException classify(Throwable error) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof DeliveryException de) {
            return de;
        }
        return new DeliveryException(Disposition.REJECTED,
                cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
    }

    /** The target could not render the message: it can never be sent, so it is dead-lettered at once. */
    void renderFailed(Send send, RuntimeException e) {
        send.target.meters().failedPermanent().increment();
        deadLetter(send, "permanent", "could not render the message: " + e.getMessage(),
                send.target.topic().source().text());
    }

    private void retryLater(Send send, long delayMillis) {
        scheduler.schedule(() -> pump.execute(() -> {
            if (pump.stopping()) {
                return;
            }
            if (rateLimited) {
                retries.addLast(send); // through the rate limit, first in line
            } else {
                pump.send(send);
            }
        }), delayMillis, TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ the permanent-failure path

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
        cursor.opened();
        deadLetters.publish(route, name, entry, targetTopic, reason)
                .whenComplete((ok, error) -> pump.execute(() -> {
                    cursor.closed();
                    if (error == null) {
                        if (kind.equals("rejected")) {
                            send.target.meters().deadLetteredRejected().increment();
                        } else {
                            send.target.meters().deadLetteredPermanent().increment();
                        }
                        cursor.complete(send.delivery);
                    } else if (!pump.stopping()) {
                        deadLetterFailed(send, kind, reason, targetTopic, DeadLetters.classify(error));
                    }
                    pump.checkDrained();
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
        scheduler.schedule(() -> pump.execute(() -> {
            if (!pump.stopping()) {
                deadLetter(send, kind, reason, targetTopic);
            }
        }), delay, TimeUnit.MILLISECONDS);
    }

    private void undeliverable(Send send, String reason, String why) {
        SpoolEntry entry = send.delivery.entry;
        String route = send.target.route();
        drops.increment(route, UNDELIVERABLE);
        LogLimit.Pass pass = undeliverableLog.admit(route);
        if (pass.logs()) {
            log.atError().addKeyValue("route", route).addKeyValue("sink", name)
                    .addKeyValue("topic", DeadLetterText.logged(entry.topic())).addKeyValue("seq", entry.seq())
                    .log("message dropped (undeliverable): the sink will not take it ({}) and the local broker"
                            + " not its dead letter ({}){}", DeadLetterText.logged(reason), DeadLetterText.logged(why),
                            pass.suffix());
        }
        cursor.complete(send.delivery);
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
}
