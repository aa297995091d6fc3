package io.edgebridge.core.internal.delivery;

import java.util.ArrayDeque;

/**
 * Where a pump reads the spool: one lane normally; two while a rate-limited sink drains a backlog,
 * so that messages arriving meanwhile do not wait behind it. The <em>backlog</em> lane covers
 * {@code [cursor, split)}, the spool as it stood when the lag was noticed; the <em>live</em> lane
 * everything from {@code split} on. When the backlog lane is done they merge into one again.
 *
 * <p>The lanes and their windows belong to the pump's thread. Read positions are also moved by the
 * spool's writer thread when it drops entries ({@link #claimDropped}), so every move of a read
 * position, and the split, happens under this object's lock: an entry is either claimed by a lane
 * (and will be sent) or counted as dropped, never both.
 */
final class Lanes {

    /** One sequence-ordered run of deliveries with its read position. */
    static final class Lane {
        /** Deliveries read and not yet removed (done ones leave from the front), in sequence order. */
        final ArrayDeque<SinkPump.Delivery> window = new ArrayDeque<>();
        /** Rendered sends waiting for the rate limit, in order (rate-limited pumps only). */
        final ArrayDeque<SinkPump.Send> ready = new ArrayDeque<>();
        /** Next sequence number to read; written only under the lock of the owning {@link Lanes}. */
        private volatile long readPos;
        /** Exclusive end: the split for the backlog lane, {@code Long.MAX_VALUE} for the live one. */
        private volatile long end = Long.MAX_VALUE;

        Lane(long readPos) {
            this.readPos = readPos;
        }

        long readPos() {
            return readPos;
        }

        long end() {
            return end;
        }

        /** Every entry of the lane was read and every delivery is done. */
        boolean finished() {
            return readPos >= end && window.isEmpty();
        }

        /** Removes the done deliveries at the front of the window. */
        void removeDone() {
            while (!window.isEmpty() && window.peekFirst().done) {
                window.pollFirst();
            }
        }
    }

    private volatile Lane live;
    /** The older lane while a backlog drains, else null. */
    private volatile Lane backlog;

    Lanes() {
        live = new Lane(0);
    }

    /** Sets where reading starts (the sink's stored cursor); a drop claimed before stays claimed. */
    synchronized void start(long position) {
        live.readPos = Math.max(live.readPos, position);
    }

    Lane live() {
        return live;
    }

    /** The backlog lane, or null when there is one lane. */
    Lane backlog() {
        return backlog;
    }

    /**
     * Claims {@code [lane.readPos, end)} for sending; returns the first claimed sequence number. A
     * concurrent drop may have moved the read position past entries the lane read: those were
     * counted as dropped and must not be sent.
     */
    synchronized long claim(Lane lane, long end) {
        long current = lane.readPos;
        if (current >= end) {
            return end;
        }
        lane.readPos = end;
        return current;
    }

    /**
     * Makes the current lane the backlog lane, ending at {@code at} (or where it has read to, if
     * further), and starts a live lane there. Only with one lane.
     */
    synchronized void split(long at) {
        Lane old = live;
        long split = Math.max(at, old.readPos);
        old.end = split;
        backlog = old;
        live = new Lane(split);
    }

    /** Back to one lane, once the backlog lane is {@link Lane#finished() finished}. */
    synchronized void merge() {
        backlog = null;
    }

    /**
     * Called on the spool's writer thread before it drops every entry below {@code toSeq}: moves the
     * read positions past them and says which of them the sink was never given.
     */
    synchronized SinkPump.Unsent claimDropped(long toSeq) {
        Lane low = backlog;
        Lane high = live;
        if (low == null) {
            long old = high.readPos;
            high.readPos = Math.max(old, toSeq);
            return new SinkPump.Unsent(old, 0, 0);
        }
        long oldLow = low.readPos;
        low.readPos = Math.max(oldLow, Math.min(toSeq, low.end));
        long split = low.end;
        long oldHigh = high.readPos;
        high.readPos = Math.max(oldHigh, toSeq);
        // [oldLow, split) and [oldHigh, ...) were never given to the sink; [split, oldHigh) were.
        return new SinkPump.Unsent(oldLow, split, oldHigh);
    }
}
