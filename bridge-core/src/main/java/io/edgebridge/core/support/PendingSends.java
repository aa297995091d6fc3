package io.edgebridge.core.support;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The sends a sink handed to its cloud and that wait for the cloud's answer: each one's stage (what
 * {@code Sink.send} returns), failed with {@link Disposition#RETRY} when the answer does not come
 * within the send timeout, when the connection is lost ({@link #failAll}) or when the sink or
 * connection closes ({@link #close}). The engine keeps such a message in its spool and sends it
 * again, so a failed send is never a lost message.
 *
 * <pre>{@code
 * CompletableFuture<Void> result = pending.add();
 * if (result.isDone()) {
 *     return result; // closed
 * }
 * client.publish(packet).whenComplete((ok, error) -> ... result.complete(null) ...);
 * return result;
 * }</pre>
 *
 * <p>The sink completes the stage with the cloud's answer; an answer after the stage ended (a late
 * PUBACK after the timeout) changes nothing. A send's timeout is a timer on the given (shared)
 * scheduler, cancelled as soon as the send ends; the helper owns no thread. Thread-safe.
 */
public final class PendingSends {

    private final Optional<ScheduledExecutorService> timer;
    private final Duration timeout;
    private final String timeoutReason;
    // Guarded by this.
    private final Set<CompletableFuture<Void>> open = new LinkedHashSet<>();
    private String closedReason;

    private PendingSends(Optional<ScheduledExecutorService> timer, Duration timeout, String timeoutReason) {
        this.timer = timer;
        this.timeout = timeout;
        this.timeoutReason = timeoutReason;
    }

    /**
     * Sends that fail with RETRY and {@code timeoutReason} when no answer came within {@code timeout}.
     *
     * @param timer the scheduler the timeouts run on (the engine's shared one: they only complete a stage)
     */
    public static PendingSends withTimeout(ScheduledExecutorService timer, Duration timeout, String timeoutReason) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the send timeout must be positive: " + timeout);
        }
        return new PendingSends(Optional.of(timer), timeout, timeoutReason);
    }

    /** Sends without a timeout of their own (the client library bounds them, or retries for ever by design). */
    public static PendingSends withoutTimeout() {
        return new PendingSends(Optional.empty(), Duration.ZERO, "");
    }

    /**
     * A new send: the stage to complete with the cloud's answer. Once {@link #close closed}, the
     * stage is already failed with RETRY and the close's reason, and the message must not be handed
     * to the client.
     */
    public CompletableFuture<Void> add() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        String refused;
        synchronized (this) {
            refused = closedReason;
            if (refused == null) {
                open.add(result);
            }
        }
        if (refused != null) {
            result.completeExceptionally(retry(refused));
            return result;
        }
        ScheduledFuture<?> expiry = timer.map(t -> expireLater(t, result)).orElse(null);
        result.whenComplete((v, e) -> {
            synchronized (this) {
                open.remove(result);
            }
            if (expiry != null) {
                expiry.cancel(false);
            }
        });
        return result;
    }

    private ScheduledFuture<?> expireLater(ScheduledExecutorService t, CompletableFuture<Void> result) {
        try {
            return t.schedule(() -> {
                result.completeExceptionally(retry(timeoutReason));
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The engine's scheduler stopped: so is the engine, and the message stays in its spool.
            result.completeExceptionally(retry("the bridge is stopping"));
            return null;
        }
    }

    /** Fails every send waiting now with RETRY (the connection was lost); later sends are taken again. */
    public void failAll(String reason) {
        DeliveryException failure = retry(reason);
        for (CompletableFuture<Void> send : snapshot()) {
            send.completeExceptionally(failure);
        }
    }

    /**
     * Waits (blocking, for a sink's closing thread) until every send waiting now has ended, at most
     * {@code max}. Returns whether all of them did.
     */
    public boolean awaitSettled(Duration max) {
        List<CompletableFuture<Void>> waiting = snapshot();
        if (waiting.isEmpty()) {
            return true;
        }
        try {
            CompletableFuture.allOf(waiting.toArray(new CompletableFuture[0])).get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            // at least one failed: ended all the same
        } catch (TimeoutException e) {
            return false;
        }
        return true;
    }

    /**
     * Fails every send still waiting with RETRY and {@code reason}, and every later one at once. The
     * first call decides the reason; later calls do nothing.
     */
    public void close(String reason) {
        synchronized (this) {
            if (closedReason != null) {
                return;
            }
            closedReason = reason;
        }
        failAll(reason);
    }

    /** Whether {@link #close} was called. */
    public synchronized boolean isClosed() {
        return closedReason != null;
    }

    /** How many sends wait for an answer now. */
    public synchronized int size() {
        return open.size();
    }

    private synchronized List<CompletableFuture<Void>> snapshot() {
        return new ArrayList<>(open);
    }

    private static DeliveryException retry(String reason) {
        return new DeliveryException(Disposition.RETRY, reason);
    }
}
