package io.edgebridge.core.support;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Bounds a log line that a device, a cloud or a disk can trigger again and again: per key (a
 * client id, a sink, a reason) at most one line per interval, and across all keys at most
 * {@code maxLines} lines per interval, so rotating the key (1,000 client ids) does not flood the log
 * either. What is held back is counted and reported by the next line that is let through.
 *
 * <pre>{@code
 * LogLimit.Pass pass = limit.admit(clientId);
 * if (pass.logs()) {
 *     log.atWarn().addKeyValue("suppressed", pass.suppressed()).log("refused {}{}", clientId, pass.suffix());
 * }
 * }</pre>
 *
 * <p>Thread-safe; the number of tracked keys is bounded (windows that ended are forgotten first).
 */
public final class LogLimit {

    /** The default: one line per key per 10 s, at most 20 lines per 10 s in all. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_LINES = 20;
    private static final int MAX_KEYS = 10_000;

    private final long intervalNanos;
    private final int maxLines;
    private final LongSupplier nanoClock;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    /** The limiter-wide window: lines let through in it, and lines held back by the cap. */
    private long globalStart;
    private int globalLines;
    private long globalSuppressed;

    /** Whether to log this occurrence, and how many occurrences were held back before it. */
    public record Pass(boolean logs, long suppressed) {

        private static final Pass HOLD = new Pass(false, 0);

        /** {@code ""}, or {@code " (N similar not logged)"} to append to the message. */
        public String suffix() {
            return suppressed > 0 ? " (" + suppressed + " similar not logged)" : "";
        }
    }

    public LogLimit() {
        this(DEFAULT_INTERVAL, DEFAULT_MAX_LINES, System::nanoTime);
    }

    public LogLimit(Duration interval, int maxLines) {
        this(interval, maxLines, System::nanoTime);
    }

    public LogLimit(Duration interval, int maxLines, LongSupplier nanoClock) {
        if (interval.isNegative() || interval.isZero() || maxLines < 1) {
            throw new IllegalArgumentException("interval must be positive and maxLines at least 1");
        }
        this.intervalNanos = interval.toNanos();
        this.maxLines = maxLines;
        this.nanoClock = nanoClock;
        this.globalStart = nanoClock.getAsLong() - intervalNanos;
    }

    /** For a line with a single source (one sink, one disk): the same as {@code admit("")}. */
    public Pass admit() {
        return admit("");
    }

    /** Records one occurrence for {@code key}; the answer says whether to log it. */
    public Pass admit(String key) {
        long now = nanoClock.getAsLong();
        if (windows.size() >= MAX_KEYS) {
            windows.values().removeIf(w -> w.ended(now, intervalNanos));
        }
        Window window = windows.size() >= MAX_KEYS ? windows.computeIfAbsent("\u0000overflow", k -> new Window(now, intervalNanos))
                : windows.computeIfAbsent(key, k -> new Window(now, intervalNanos));
        long keySuppressed;
        synchronized (window) {
            if (!window.ended(now, intervalNanos)) {
                window.suppressed++;
                return Pass.HOLD;
            }
            keySuppressed = window.suppressed;
            window.start = now;
            window.suppressed = 0;
        }
        synchronized (this) {
            if (now - globalStart >= intervalNanos) {
                globalStart = now;
                globalLines = 0;
            }
            if (globalLines >= maxLines) {
                globalSuppressed++;
                // This key's window started without a line: what it held back is reported with the cap's count.
                globalSuppressed += keySuppressed;
                return Pass.HOLD;
            }
            globalLines++;
            long suppressed = keySuppressed + globalSuppressed;
            globalSuppressed = 0;
            return new Pass(true, suppressed);
        }
    }

    private static final class Window {
        long start;
        long suppressed;

        Window(long now, long intervalNanos) {
            this.start = now - intervalNanos; // the first occurrence is logged
        }

        boolean ended(long now, long intervalNanos) {
            return now - start >= intervalNanos;
        }
    }
}
