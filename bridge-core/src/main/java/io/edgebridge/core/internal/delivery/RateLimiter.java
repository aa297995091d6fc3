package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.RateLimit;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A sink's {@code rateLimit}, exact over every sliding window <em>as the receiving server sees
 * it</em>. The server gets a message some time between its send and its acknowledgement, so a
 * message counts from its send until a window after its acknowledgement: a send is allowed only if
 * the messages (and payload bytes) counted then, itself included, stay within the limits. However
 * the network delays, bunches or re-orders delivery on the way, no window of the server's receive
 * times holds more than the limit. The price is that the rate falls short of the limit by about one
 * round trip per window.
 *
 * <p>For the message limit it keeps the last {@code messages} sends (a ring); for the byte limit the
 * sends not yet out of the window, with their running sum. A message larger than the byte limit
 * goes alone, once the window holds no other bytes. A token bucket alone would not do: it lets up
 * to twice its rate through in one window (a full bucket, then the refill).
 *
 * <p>The window alone would let a whole second's worth go back to back and then nothing, and a
 * receiver that takes a while over one such burst sees it spread out and the next compressed. So
 * sends are also paced: a small token bucket per limit ({@value #BURST_DIVISOR}th of the limit back
 * to back, refilled at the limit's rate) spaces them evenly. It only ever delays.
 *
 * <p>Times are {@link System#nanoTime()} values; not thread-safe (the pump's thread owns it).
 */
final class RateLimiter {

    /** Back to back at most: the limit divided by this (at least one message). */
    static final int BURST_DIVISOR = 20;

    /**
     * A little longer than a second: the server's view is exact (see above), and the margin is for
     * whoever receives from the server (a subscriber, a cloud rule): a message delayed on that leg
     * by up to 20 ms more than one sent a window later still leaves at most the limit in any second.
     */
    static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(1020);

    /** What {@link #delayNanos} returns when the next send waits for an open one to complete. */
    static final long UNTIL_COMPLETION = Long.MAX_VALUE;

    private static final long OPEN = Long.MAX_VALUE;

    private final long windowNanos;
    private final int maxMessages;
    private final long maxBytes;
    private final Pacing messagePacing;
    private final Pacing bytePacing;
    private long nextTicket;
    /** The last {@code maxMessages} sends, oldest first: ticket and release time (OPEN until completed). */
    private final LongRing sendTickets = new LongRing();
    private final LongRing sendReleases = new LongRing();
    /** Sends with a payload not yet out of the window, oldest first: ticket, release time and size. */
    private final LongRing byteTickets = new LongRing();
    private final LongRing byteReleases = new LongRing();
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
        this.messagePacing = maxMessages > 0 ? new Pacing(maxMessages, windowNanos) : null;
        this.bytePacing = maxBytes > 0 ? new Pacing(maxBytes, windowNanos) : null;
    }

    /**
     * How long from {@code now} until a send of {@code bytes} payload bytes is allowed: 0 = at once,
     * {@link #UNTIL_COMPLETION} = not before an open send completes.
     */
    long delayNanos(long now, long bytes) {
        long allowedAt = now;
        if (maxMessages > 0) {
            if (sendReleases.size() >= maxMessages) {
                long released = sendReleases.first();
                if (released == OPEN) {
                    return UNTIL_COMPLETION;
                }
                allowedAt = released + windowNanos;
            }
            allowedAt = Math.max(allowedAt, now + messagePacing.delayNanos(now, 1));
        }
        if (maxBytes > 0 && bytes > 0) {
            expireBytes(now);
            long bytesAt = bytesAllowedAt(bytes);
            if (bytesAt == UNTIL_COMPLETION) {
                return UNTIL_COMPLETION;
            }
            allowedAt = Math.max(allowedAt, Math.max(bytesAt, now + bytePacing.delayNanos(now, bytes)));
        }
        return Math.max(0, allowedAt - now);
    }

    /**
     * Records a send made at {@code now} (call only when {@link #delayNanos} allowed it); returns the
     * ticket to {@link #complete} it with.
     */
    long send(long now, long bytes) {
        long ticket = nextTicket++;
        add(ticket, now, bytes);
        return ticket;
    }

    /** The send of {@code ticket} completed (acknowledged or failed) at {@code now}. */
    void complete(long ticket, long now) {
        if (maxMessages > 0) {
            int i = sendTickets.indexOf(ticket);
            if (i >= 0) {
                sendReleases.set(i, now);
            }
        }
        if (maxBytes > 0) {
            int i = byteTickets.indexOf(ticket);
            if (i >= 0) {
                byteReleases.set(i, now);
            }
        }
    }

    private void add(long ticket, long now, long bytes) {
        if (maxMessages > 0) {
            messagePacing.take(now, 1);
            if (sendReleases.size() == maxMessages) {
                sendReleases.removeFirst();
                sendTickets.removeFirst();
            }
            sendTickets.addLast(ticket);
            sendReleases.addLast(OPEN);
        }
        if (maxBytes > 0 && bytes > 0) {
            bytePacing.take(now, bytes);
            expireBytes(now);
            byteTickets.addLast(ticket);
            byteReleases.addLast(OPEN);
            byteSizes.addLast(bytes);
            bytesInWindow += bytes;
        }
        averageBytes = averageBytes < 0 ? bytes : averageBytes * 0.9 + bytes * 0.1;
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
        while (byteReleases.size() > 0 && byteReleases.first() != OPEN && byteReleases.first() + windowNanos <= now) {
            byteReleases.removeFirst();
            byteTickets.removeFirst();
            bytesInWindow -= byteSizes.removeFirst();
        }
    }

    /**
     * When enough of the window's bytes have left it for {@code bytes} more (all of them, if it is
     * larger than the limit); {@link #UNTIL_COMPLETION} if one of those sends is still open.
     */
    private long bytesAllowedAt(long bytes) {
        long excess = bytes > maxBytes ? bytesInWindow : bytesInWindow + bytes - maxBytes;
        if (excess <= 0) {
            return Long.MIN_VALUE;
        }
        long latest = Long.MIN_VALUE;
        long freed = 0;
        for (int i = 0; i < byteReleases.size(); i++) {
            long released = byteReleases.get(i);
            if (released == OPEN) {
                return UNTIL_COMPLETION;
            }
            latest = Math.max(latest, released);
            freed += byteSizes.get(i);
            if (freed >= excess) {
                break;
            }
        }
        return latest + windowNanos;
    }

    /**
     * A token bucket that spaces sends: holds at most {@code limit / BURST_DIVISOR} tokens (at least
     * one), refilled at {@code limit} per window. A cost above what it holds is allowed once it is
     * full, and the debt is paid back at the limit's rate (never more than one window's worth).
     */
    private static final class Pacing {
        private final double capacity;
        private final double perNano;
        private final double floor;
        private double tokens;
        private long stamp;
        private boolean started;

        Pacing(long limit, long windowNanos) {
            this.capacity = Math.max(1, limit / BURST_DIVISOR);
            this.perNano = (double) limit / windowNanos;
            this.floor = capacity - limit;
        }

        long delayNanos(long now, long cost) {
            refill(now);
            double need = Math.min(cost, capacity) - tokens;
            return need <= 0 ? 0 : (long) Math.ceil(need / perNano) + 1;
        }

        void take(long now, long cost) {
            refill(now);
            tokens = Math.max(floor, tokens - cost);
        }

        private void refill(long now) {
            if (!started) {
                started = true;
                tokens = capacity;
                stamp = now;
            } else if (now - stamp > 0) {
                tokens = Math.min(capacity, tokens + (now - stamp) * perNano);
                stamp = now;
            }
        }
    }

    /** A growable ring of longs (a deque without boxing, with indexed access). */
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

        long get(int i) {
            return values[(head + i) & (values.length - 1)];
        }

        void set(int i, long value) {
            values[(head + i) & (values.length - 1)] = value;
        }

        /** The index of {@code value} in a ring of increasing values, or -1. */
        int indexOf(long value) {
            int low = 0;
            int high = size - 1;
            while (low <= high) {
                int mid = (low + high) >>> 1;
                long v = get(mid);
                if (v < value) {
                    low = mid + 1;
                } else if (v > value) {
                    high = mid - 1;
                } else {
                    return mid;
                }
            }
            return -1;
        }

        void addLast(long value) {
            if (size == values.length) {
                long[] grown = Arrays.copyOf(values, values.length * 2);
                // Unwrap: the part before head moves behind the old contents.
                System.arraycopy(values, 0, grown, values.length, head);
                values = grown;
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
