package io.edgebridge.core.internal.spool;

import java.util.List;

/**
 * The most recently appended spool entries, decoded, so readers that keep up never touch the
 * database. One writer (the spool's writer thread) adds entries in sequence order; any number of
 * readers read without locks: an entry is immutable, and a reader that finds a slot overwritten
 * (its sequence number differs) falls back to the database. Bounded by count and by bytes.
 */
final class TailCache {

    private final SpoolEntry[] slots;
    private final int mask;
    private final long maxBytes;
    /** Oldest sequence number still cached. */
    private volatile long start;
    private long end;
    private long bytes;

    TailCache(int capacityPowerOfTwo, long maxBytes) {
        this.slots = new SpoolEntry[capacityPowerOfTwo];
        this.mask = capacityPowerOfTwo - 1;
        this.maxBytes = maxBytes;
    }

    /** Writer thread only. Entries must come in sequence order; a gap restarts the cache. */
    void add(SpoolEntry entry) {
        long seq = entry.seq();
        if (seq != end) {
            start = seq;
            end = seq;
            bytes = 0;
        }
        long size = sizeOf(entry);
        while (end > start && (end - start >= slots.length || bytes + size > maxBytes)) {
            bytes -= sizeOf(slots[(int) (start & mask)]);
            start = start + 1;
        }
        slots[(int) (seq & mask)] = entry;
        end = seq + 1;
        bytes += size;
    }

    /**
     * Appends to {@code out} the cached entries from {@code from} on, below {@code to}, at most
     * {@code max}; stops at the first one that is not cached. Returns how many.
     */
    int read(long from, long to, int max, List<SpoolEntry> out) {
        if (from < start) {
            return 0;
        }
        int n = 0;
        for (long seq = from; seq < to && n < max; seq++) {
            SpoolEntry entry = slots[(int) (seq & mask)];
            if (entry == null || entry.seq() != seq) {
                break;
            }
            out.add(entry);
            n++;
        }
        return n;
    }

    private static long sizeOf(SpoolEntry entry) {
        return entry.payload().length + entry.topic().length() + 64L;
    }
}
