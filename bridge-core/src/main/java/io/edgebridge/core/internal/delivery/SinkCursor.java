package io.edgebridge.core.internal.delivery;

import io.edgebridge.core.internal.delivery.Lanes.Lane;
import io.edgebridge.core.internal.delivery.SinkPump.Delivery;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.spool.SpoolEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reading and the cursor of one sink's pump: reads the spool at the sink's read position, holds each
 * message read until all its sends are done, and moves the cursor only over the done prefix; once
 * {@link #retire() retired}, never again. Pump thread only, except {@link #claimDropped} and the getters.
 */
final class SinkCursor {

    /** Logs as the pump it belongs to. */
    private static final Logger log = LoggerFactory.getLogger(SinkPump.class);

    private static final int READ_BATCH = 256;

    private final String name;
    private final Spool spool;
    private final int maxInFlight;
    /** The most messages a lane holds read and not done: one slow send cannot make the pump read on for ever. */
    private final int windowLimit;
    /** Renders a message just read and sends it (or queues it for the rate limit); counts its sends as pending. */
    private final BiConsumer<Delivery, Lane> dispatch;
    private final Lanes lanes = new Lanes();
    private final List<SpoolEntry> batch = new ArrayList<>(READ_BATCH);

    /** Sends and dead-letter publishes open now; read by gauges and health. */
    private volatile int inFlight;
    private volatile long position;
    /** Set when the pump's stop completes: the cursor is no longer this pump's. */
    private boolean retired;

    SinkCursor(String name, Spool spool, int maxInFlight, BiConsumer<Delivery, Lane> dispatch) {
        this.name = name;
        this.spool = spool;
        this.maxInFlight = maxInFlight;
        this.windowLimit = Math.max(maxInFlight * 4, READ_BATCH);
        this.dispatch = dispatch;
    }

    /** Starts reading at {@code at} and takes the sink's cursor there. */
    void start(long at) {
        lanes.start(at);
        position = at;
        spool.openCursor(name, at);
    }

    Lanes lanes() {
        return lanes;
    }

    /** Everything below this sequence number is done for this sink. */
    long position() {
        return position;
    }

    /** Spool entries after the cursor. */
    long backlog() {
        return Math.max(0, spool.published() - position);
    }

    int inFlight() {
        return inFlight;
    }

    int maxInFlight() {
        return maxInFlight;
    }

    /** Fewer than {@code maxInFlight} sends are open. */
    boolean hasRoom() {
        return inFlight < maxInFlight;
    }

    /** A send or dead-letter publish went out. */
    void opened() {
        inFlight++;
    }

    /** A send or dead-letter publish came back, whatever its result. */
    void closed() {
        inFlight--;
    }

    /** Reads a batch of {@code lane}; see {@link #read(Lane, int)}. */
    boolean read(Lane lane) {
        return read(lane, READ_BATCH);
    }

    /**
     * Reads up to {@code max} entries of {@code lane} and dispatches them; false when there was
     * nothing to read or no room (in flight or in the window).
     */
    boolean read(Lane lane, int max) {
        lane.removeDone();
        long from = lane.readPos();
        long end = lane.end();
        // One entry is usually one send; fan-out to several targets of this sink may overshoot a little.
        int room = Math.min(Math.min(max, maxInFlight - inFlight), windowLimit - lane.window.size());
        if (room <= 0 || from >= end) {
            return false;
        }
        batch.clear();
        int n = spool.read(from, (int) Math.min(room, end - from), batch);
        if (n == 0) {
            return false;
        }
        long last = Math.min(batch.get(n - 1).seq() + 1, end);
        long claimed = lanes.claim(lane, last);
        for (SpoolEntry entry : batch) {
            if (entry.seq() >= claimed && entry.seq() < last) {
                Delivery delivery = new Delivery(entry);
                lane.window.addLast(delivery);
                dispatch.accept(delivery, lane);
                if (delivery.pending == 0) {
                    delivery.done = true; // no target of this sink takes it
                }
            }
        }
        batch.clear();
        return true;
    }

    /** One of the delivery's sends is done (acknowledged, dead-lettered or dropped as undeliverable). */
    void complete(Delivery delivery) {
        if (--delivery.pending == 0) {
            delivery.done = true;
            advance();
        }
    }

    /** Moves the cursor to the first message not done (merging the lanes once the backlog lane is). */
    void advance() {
        if (retired) {
            return; // the cursor belongs to whoever took the sink over
        }
        Lane low = lanes.live();
        low.removeDone();
        Lane backlog = lanes.backlog();
        if (backlog != null) {
            backlog.removeDone();
            if (backlog.finished()) {
                lanes.merge();
                log.atDebug().addKeyValue("sink", name).log("backlog drained; one lane again");
            } else {
                low = backlog; // its first message not done is the sink's
            }
        }
        long next = low.window.isEmpty() ? low.readPos()
                : Math.max(low.window.peekFirst().entry.seq(), spool.head());
        if (next > position) {
            position = next;
            spool.moveCursor(name, next);
        }
    }

    /** From now on the cursor stays where it is: a late acknowledgement costs a duplicate, never a loss. */
    void retire() {
        retired = true;
    }

    /** On the spool's writer thread, before it drops every entry below {@code toSeq}. */
    SinkPump.Unsent claimDropped(long toSeq) {
        return lanes.claimDropped(toSeq);
    }
}
