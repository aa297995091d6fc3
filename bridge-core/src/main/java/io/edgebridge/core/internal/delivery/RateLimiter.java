package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.RateLimit;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A sink's {@code rateLimit}, exact over every sliding window: a send at time {@code t} is allowed
 * only if the sends in {@code (t - window, t]}, itself included, stay within the limits. A token
 * bucket would not do: it lets up to twice its rate through in one window (a full bucket, then the
 * refill). Keeps the times of the last {@code messages} sends (a ring) and, for the byte limit, the
 * (time, bytes) of the sends still inside the window with their running sum. A message larger than
 * the byte limit goes alone, once the window holds no other bytes.
 *
 * <p>Times are {@link System#nanoTime()} values; not thread-safe (the pump's thread owns it).
 */
final class RateLimiter {

    /**
     * The window measured is a little longer than a second: a receiver timing arrivals sees the
     * sends shifted by network and scheduling jitter, and a message delayed by up to this margin
     * more than one sent a window later still leaves at most the limit in any one second.
     */
    static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(1020);

    private final long windowNanos;
    private final int maxMessages;
    private final long maxBytes;
    /** Times of the last sends, at most {@code maxMessages}, oldest first. */
    private final LongRing sends = new LongRing();
    /** Times and sizes of the sends with a payload inside the window, oldest first. */
    private final LongRing byteTimes = new LongRing();
    private final LongRing byteSizes = new LongRing();
    private long bytesInWindow;
    private double averageBytes = -1;

    RateLimiter(RateLimit limit) {
        this(limit, WINDOW_NANOS);
    }

    RateLimiter(RateLimit limit, long windowNanos) {
        this.windowNanos = windowNanos;
        this.maxMessages = limit.messagesPerSecond().orElse(0);
        this.maxBytes = limit.bytesPerSecond().orElse(0);
    }

    /** How long from {@code now} until a send of {@code bytes} payload bytes is allowed; 0 = at once. */
    long delayNanos(long now, long bytes) {
        long allowedAt = now;
        if (maxMessages > 0 && sends.size() >= maxMessages) {
            allowedAt = sends.first() + windowNanos;
        }
        if (maxBytes > 0 && bytes > 0) {
            expireBytes(now);
            allowedAt = Math.max(allowedAt, bytesAllowedAt(bytes));
        }
        return Math.max(0, allowedAt - now);
    }

    /** Records a send made at {@code now}; call only when {@link #delayNanos} allowed it. */
    void record(long now, long bytes) {
        record(now, 1, bytes);
    }

    /**
     * Records {@code count} sends of {@code bytes} payload bytes in all, made at {@code now}, that
     * did not ask first (a reconnecting link re-sending what was in flight).
     */
    void record(long now, int count, long bytes) {
        if (maxMessages > 0) {
            for (int i = 0; i < Math.min(count, maxMessages); i++) {
                if (sends.size() == maxMessages) {
                    sends.removeFirst();
                }
                sends.addLast(now);
            }
        }
        if (maxBytes > 0 && bytes > 0) {
            expireBytes(now);
            byteTimes.addLast(now);
            byteSizes.addLast(bytes);
            bytesInWindow += bytes;
        }
        if (count > 0) {
            double size = (double) bytes / count;
            averageBytes = averageBytes < 0 ? size : averageBytes * 0.9 + size * 0.1;
        }
    }

    /**
     * About how many messages one window allows: the message limit, or the byte limit divided by
     * the average payload size seen so far; {@code Integer.MAX_VALUE} when nothing tells yet.
     */
    long messagesPerWindow() {
        long byBytes = maxBytes > 0 && averageBytes > 0 ? Math.max(1, (long) (maxBytes / averageBytes)) : Long.MAX_VALUE;
        long byCount = maxMessages > 0 ? maxMessages : Long.MAX_VALUE;
        return Math.min(Integer.MAX_VALUE, Math.min(byBytes, byCount));
    }

    private void expireBytes(long now) {
        while (byteTimes.size() > 0 && byteTimes.first() + windowNanos <= now) {
            byteTimes.removeFirst();
            bytesInWindow -= byteSizes.removeFirst();
        }
    }

    /** When enough of the window's bytes have left it for {@code bytes} more (or, if too large, all). */
    private long bytesAllowedAt(long bytes) {
        long excess = bytesInWindow + bytes - maxBytes;
        if (excess <= 0 || byteTimes.size() == 0) {
            return Long.MIN_VALUE;
        }
        if (bytes > maxBytes) {
            return byteTimes.last() + windowNanos; // alone: once everything before it has left
        }
        long freed = 0;
        for (int i = 0; i < byteTimes.size(); i++) {
            freed += byteSizes.get(i);
            if (freed >= excess) {
                return byteTimes.get(i) + windowNanos;
            }
        }
        return byteTimes.last() + windowNanos;
    }

    /** A growable ring of longs (a deque without boxing). */
    private static final class LongRing {
        private long[] values = new long[16];
        private int head;
        private int size;

        int size() {
            return size;
        }

        long first() {
            return values[head];
        }

        long last() {
            return get(size - 1);
        }

        long get(int i) {
            return values[(head + i) & (values.length - 1)];
        }

        void addLast(long value) {
            if (size == values.length) {
                long[] grown = Arrays.copyOf(values, values.length * 2);
                // Unwrap: the part before head moves to the end of the old contents.
                System.arraycopy(values, 0, grown, values.length, head);
                values = grown;
                // Entries now run from head to head + size without wrapping.
            }
            values[(head + size) & (values.length - 1)] = value;
            size++;
        }

        long removeFirst() {
            long value = values[head];
            head = (head + 1) & (values.length - 1);
            size--;
            return value;
        }
    }
}
