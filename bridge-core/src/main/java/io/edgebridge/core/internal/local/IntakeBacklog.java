package io.edgebridge.core.internal.local;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * What the embedded broker has acknowledged to devices and queued for the bridge's own session
 * ({@code intake: mqtt}) but the bridge has not yet spooled: a bounded queue between a device's
 * PUBACK and the spool, so it must push back. A device's publish is counted here before HiveMQ
 * acknowledges it ({@link #admit}); while the bound is reached, {@code admit} answers later, and
 * {@link MqttIntakeGate} holds the device's publish (and so its PUBACK) until then. The bridge's
 * acknowledgement of a message to the broker gives its place back ({@link #acknowledged}).
 *
 * <p>The count is kept by both ends, so it can drift from the broker's true queue: a message that
 * expires in the queue is never delivered, and a message redelivered after a reconnect is
 * acknowledged twice. It is set right whenever the true queue is known to be empty: the session is
 * connected, holds no unacknowledged message, and nothing was admitted or delivered for a while
 * ({@link #forgetIfIdle}). So a drift costs at most a short pause, never a stall.
 *
 * <p>Thread-safe; futures are completed outside the lock.
 */
final class IntakeBacklog {

    /** Thrown into the futures of publishes that will not be admitted (the bridge is stopping). */
    static final class ClosedException extends IllegalStateException {
        ClosedException(String message) {
            super(message);
        }
    }

    private record Waiter(long bytes, CompletableFuture<Void> admitted) {
    }

    private final long maxMessages;
    private final long maxBytes;
    private final LongSupplier nanoClock;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private long messages; // guarded by this
    private long bytes; // guarded by this
    /** Delivered to the bridge and not yet acknowledged by it. Guarded by this. */
    private long unacknowledged;
    private long lastActivity; // guarded by this
    private String closed; // guarded by this; the reason once closed

    IntakeBacklog(long maxMessages, long maxBytes, LongSupplier nanoClock) {
        if (maxMessages < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("bounds must be positive");
        }
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.nanoClock = nanoClock;
        this.lastActivity = nanoClock.getAsLong();
    }

    /**
     * Counts a message about to be queued for the bridge. The future completes (the message is
     * counted) at once when there is room and nobody waits, else once the bridge made room; it fails
     * with {@link ClosedException} once the backlog is closed. A caller that gives up waiting
     * completes the future itself (exceptionally): the message is then not counted.
     */
    CompletableFuture<Void> admit(long size) {
        synchronized (this) {
            lastActivity = nanoClock.getAsLong();
            if (closed != null) {
                return CompletableFuture.failedFuture(new ClosedException(closed));
            }
            if (waiters.isEmpty() && hasRoom()) {
                count(size);
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> admitted = new CompletableFuture<>();
            waiters.add(new Waiter(size, admitted));
            return admitted;
        }
    }

    /** A counted message reached the bridge's session. */
    synchronized void arrived() {
        unacknowledged++;
        lastActivity = nanoClock.getAsLong();
    }

    /** The bridge acknowledged a counted message ({@code size} payload bytes) to the broker. */
    void acknowledged(long size) {
        List<Waiter> admitted;
        synchronized (this) {
            unacknowledged = Math.max(0, unacknowledged - 1);
            messages = Math.max(0, messages - 1);
            bytes = Math.max(0, bytes - size);
            admitted = admitWaiting();
        }
        complete(admitted);
    }

    /**
     * Forgets the count when the broker's queue for the bridge must be empty: the session is
     * connected ({@code sessionReady}), nothing delivered to it is unacknowledged, and nothing was
     * admitted or delivered for {@code quiet}. Returns how many messages were forgotten (0 when the
     * count stood or was already 0).
     */
    long forgetIfIdle(boolean sessionReady, Duration quiet) {
        List<Waiter> admitted;
        long forgotten;
        synchronized (this) {
            if (!sessionReady || unacknowledged > 0 || (messages == 0 && bytes == 0)
                    || nanoClock.getAsLong() - lastActivity < quiet.toNanos()) {
                return 0;
            }
            forgotten = messages;
            messages = 0;
            bytes = 0;
            admitted = admitWaiting();
        }
        complete(admitted);
        return forgotten;
    }

    /** Refuses every waiting and later publish with {@code reason}. Idempotent. */
    void close(String reason) {
        List<Waiter> refused;
        synchronized (this) {
            if (closed != null) {
                return;
            }
            closed = reason;
            refused = new ArrayList<>(waiters);
            waiters.clear();
            notifyAll();
        }
        for (Waiter w : refused) {
            w.admitted().completeExceptionally(new ClosedException(reason));
        }
    }

    /**
     * Waits until the count is 0 (everything admitted was acknowledged by the bridge) or
     * {@code timeout} passed; returns the messages still counted.
     */
    synchronized long awaitEmpty(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (messages > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return messages;
    }

    synchronized long messages() {
        return messages;
    }

    synchronized long bytes() {
        return bytes;
    }

    /** Publishes waiting for room. */
    synchronized int waiting() {
        return waiters.size();
    }

    private boolean hasRoom() {
        return messages < maxMessages && bytes < maxBytes;
    }

    private void count(long size) {
        messages++;
        bytes += size;
    }

    /** Counts waiters in order while there is room; they are completed after the lock is released. */
    private List<Waiter> admitWaiting() {
        if (messages == 0) {
            notifyAll(); // awaitEmpty
        }
        if (waiters.isEmpty() || !hasRoom()) {
            return List.of();
        }
        List<Waiter> admitted = new ArrayList<>();
        while (!waiters.isEmpty() && hasRoom()) {
            Waiter w = waiters.poll();
            if (w.admitted().isDone()) {
                continue; // its publisher gave up waiting
            }
            count(w.bytes());
            admitted.add(w);
        }
        return admitted;
    }

    private void complete(List<Waiter> admitted) {
        for (Waiter w : admitted) {
            if (!w.admitted().complete(null)) {
                // It gave up between being counted and now: give the place back.
                acknowledgedWithoutDelivery(w.bytes());
            }
        }
    }

    private void acknowledgedWithoutDelivery(long size) {
        List<Waiter> admitted;
        synchronized (this) {
            messages = Math.max(0, messages - 1);
            bytes = Math.max(0, bytes - size);
            admitted = admitWaiting();
        }
        complete(admitted);
    }
}
