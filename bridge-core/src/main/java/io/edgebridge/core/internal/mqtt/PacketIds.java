package io.edgebridge.core.internal.mqtt;

import java.util.BitSet;

/**
 * The packet identifiers (1..65535) of one link, shared by its publishes and its (un)subscribes: an
 * identifier in use by either is never handed out again until released. Event loop only.
 */
final class PacketIds {

    static final int MAX = 65_535;

    private final BitSet inUse = new BitSet(MAX + 1);
    private int last;

    /** The next free identifier after the last one handed out, wrapping from 65535 to 1. */
    int take() {
        int id = inUse.nextClearBit(last + 1);
        if (id > MAX) {
            id = inUse.nextClearBit(1);
            if (id > MAX) {
                throw new IllegalStateException("no free MQTT packet identifier");
            }
        }
        inUse.set(id);
        last = id;
        return id;
    }

    void release(int id) {
        inUse.clear(id);
    }

    boolean inUse(int id) {
        return inUse.get(id);
    }
}
