package io.edgebridge.core.internal.spool;

import io.edgebridge.core.support.LogLimit;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the spool can write, and what the operator is told about it. A failed write (disk full,
 * I/O error) makes the spool unwritable: from then on appends are refused at once, without touching
 * the disk, and the writer tries to write again after a backoff (100 ms, doubling up to 2 s) until a
 * write works. Logged: one ERROR when writing fails, then at most one ERROR per interval with what
 * was refused and what failed since the last line, and one INFO when writing works again.
 *
 * <p>Thread-safe: the writer and the syncer report failures; anyone reads the state.
 */
final class Writability {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final String KEY = "unwritable";

    private final Path dir;
    private final LongSupplier clock;
    private final LongSupplier nanoClock;
    private final LogLimit limit;
    private final AtomicLong failures = new AtomicLong();
    /** The problem while unwritable; null while writable. */
    private volatile String problem;

    // guarded by this
    private long sinceMillis;
    private long sinceNanos;
    private long retryAt;
    private long backoff;
    private String cause = "";
    /** Why the last retry was not even made (no room to reopen, ...), next to the failure it is about. */
    private String waiting = "";
    private long refusedTotal;
    private long refusedSinceLine;
    private long failuresSinceLine;

    Writability(Path dir, LongSupplier clock, LongSupplier nanoClock, Duration logInterval) {
        this.dir = dir;
        this.clock = clock;
        this.nanoClock = nanoClock;
        this.limit = new LogLimit(logInterval, LogLimit.DEFAULT_MAX_LINES, nanoClock);
    }

    boolean writable() {
        return problem == null;
    }

    /** Why the spool cannot write, while it cannot. */
    Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    /** Writes to the database that failed, since the spool was opened. */
    long failures() {
        return failures.get();
    }

    /** The refusal given to appends while the spool cannot write. */
    SpoolUnwritableException refusal() {
        String current = problem;
        return new SpoolUnwritableException(current != null ? current : "spool cannot write to " + dir);
    }

    /** A write failed: {@code operation} says what was written. */
    synchronized void failed(String operation, Exception error) {
        failures.incrementAndGet();
        cause = operation + ": " + message(error);
        waiting = "";
        if (problem == null) {
            sinceMillis = clock.getAsLong();
            sinceNanos = nanoClock.getAsLong();
            backoff = FIRST_RETRY_NANOS;
            retryAt = sinceNanos + backoff;
            describe();
            LogLimit.Pass pass = limit.admit(KEY);
            if (pass.logs()) {
                log.atError().addKeyValue("dir", dir).log("spool cannot write to {}: {}; new messages are refused"
                        + " until a write works again (retried with a backoff of up to {} s){}", dir, cause,
                        TimeUnit.NANOSECONDS.toSeconds(MAX_RETRY_NANOS), pass.suffix());
                failuresSinceLine = 0;
                refusedSinceLine = 0;
            }
            return;
        }
        failuresSinceLine++;
        describe();
        report();
    }

    /** {@code messages} appends were refused because the spool cannot write. */
    synchronized void refused(int messages) {
        refusedTotal += messages;
        refusedSinceLine += messages;
        report();
    }

    /** Whether the writer should try to write again now (writer thread). */
    synchronized boolean retryDue() {
        return problem != null && nanoClock.getAsLong() - retryAt >= 0;
    }

    /** How long until the next retry is due (a long time while writable). */
    synchronized long nanosUntilRetry() {
        return problem == null ? Long.MAX_VALUE : Math.max(0, retryAt - nanoClock.getAsLong());
    }

    /** A recovery attempt did not make the spool writable; the next one waits longer. */
    synchronized void retryFailed(String operation, Exception error) {
        failed(operation, error);
        backoff = Math.min(MAX_RETRY_NANOS, backoff * 2);
        retryAt = nanoClock.getAsLong() + backoff;
    }

    /** A recovery attempt was not made (no room to reopen, an fsync still pending): try again later. */
    synchronized void retryLater(String reason) {
        waiting = reason; // the failure itself (e.g. "No space left on device") stays in the problem
        describe();
        backoff = Math.min(MAX_RETRY_NANOS, backoff * 2);
        retryAt = nanoClock.getAsLong() + backoff;
    }

    /** A write worked again. */
    synchronized void recovered() {
        if (problem == null) {
            return;
        }
        problem = null;
        long seconds = TimeUnit.NANOSECONDS.toSeconds(nanoClock.getAsLong() - sinceNanos);
        LogLimit.Pass pass = limit.admit("recovered");
        if (pass.logs()) {
            log.atInfo().addKeyValue("dir", dir).addKeyValue("refused", refusedTotal)
                    .log("spool can write to {} again after {} s; {} new messages were refused meanwhile{}", dir,
                            seconds, refusedTotal, pass.suffix());
        }
        refusedTotal = 0;
        refusedSinceLine = 0;
        failuresSinceLine = 0;
        waiting = "";
    }

    /** Reports what was held back, once its interval is over (writer tick). */
    synchronized void flush() {
        if (problem != null && (refusedSinceLine > 0 || failuresSinceLine > 0)) {
            report();
        }
    }

    private void describe() {
        problem = "cannot write to " + dir + " since " + Instant.ofEpochMilli(sinceMillis) + " (" + cause
                + (waiting.isEmpty() ? "" : "; " + waiting) + "); new messages are refused until a write works again";
    }

    private void report() {
        LogLimit.Pass pass = limit.admit(KEY);
        if (!pass.logs()) {
            return;
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(nanoClock.getAsLong() - sinceNanos);
        log.atError().addKeyValue("dir", dir).addKeyValue("refused", refusedSinceLine)
                .addKeyValue("failedWrites", failuresSinceLine)
                .log("spool still cannot write to {} after {} s ({}): {} new messages refused, {} writes failed since"
                        + " the last line", dir, seconds, waiting.isEmpty() ? cause : cause + "; " + waiting,
                        refusedSinceLine, failuresSinceLine);
        refusedSinceLine = 0;
        failuresSinceLine = 0;
    }

    private static String message(Exception error) {
        return error.getMessage() != null ? error.getMessage() : error.getClass().getSimpleName();
    }
}
