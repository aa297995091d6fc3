package io.edgebridge.core.internal.spool;

/**
 * Live bytes per chunk of {@link #CHUNK} consecutive sequence numbers, so the spool knows its size
 * and can reclaim whole chunks without reading them back. Memory is one long per chunk: bounded by
 * {@code maxBytes} through the backlog it allows. Not thread-safe: owned by the spool's writer.
 */
final class ChunkSizes {

    static final int CHUNK_BITS = 8;
    static final long CHUNK = 1L << CHUNK_BITS;

    /** Ring of sums for chunks firstChunk .. firstChunk + count - 1. */
    private long[] sums = new long[64];
    private long firstChunk;
    private int start;
    private int count;
    private long total;

    static long chunkOf(long seq) {
        return seq >>> CHUNK_BITS;
    }

    long total() {
        return total;
    }

    void add(long seq, long bytes) {
        long chunk = chunkOf(seq);
        if (count == 0) {
            firstChunk = chunk;
            start = 0;
            count = 1;
            sums[0] = 0;
        }
        if (chunk < firstChunk) {
            throw new IllegalStateException("sequence " + seq + " before the first chunk");
        }
        while (chunk >= firstChunk + count) {
            if (count == sums.length) {
                grow();
            }
            sums[(start + count) % sums.length] = 0;
            count++;
        }
        sums[index(chunk)] += bytes;
        total += bytes;
    }

    /** Removes bytes of entries that were deleted one by one (drops). */
    void subtract(long seq, long bytes) {
        long chunk = chunkOf(seq);
        if (count == 0 || chunk < firstChunk || chunk >= firstChunk + count) {
            throw new IllegalStateException("sequence " + seq + " outside the spool");
        }
        sums[index(chunk)] -= bytes;
        total -= bytes;
    }

    /** Forgets every chunk entirely below {@code chunk}, returning the bytes they held. */
    long removeChunksBelow(long chunk) {
        long freed = 0;
        while (count > 0 && firstChunk < chunk) {
            freed += sums[start];
            sums[start] = 0;
            start = (start + 1) % sums.length;
            firstChunk++;
            count--;
        }
        total -= freed;
        return freed;
    }

    private int index(long chunk) {
        return (int) ((start + (chunk - firstChunk)) % sums.length);
    }

    private void grow() {
        long[] bigger = new long[sums.length * 2];
        for (int i = 0; i < count; i++) {
            bigger[i] = sums[(start + i) % sums.length];
        }
        sums = bigger;
        start = 0;
    }
}
