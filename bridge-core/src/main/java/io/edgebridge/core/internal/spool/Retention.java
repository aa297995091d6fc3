package io.edgebridge.core.internal.spool;

import io.edgebridge.config.SpoolConfig;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the spool keeps: the head (entries below it are deleted), the bytes stored from it on, and
 * the limits that move it. Entries every cursor has passed are reclaimed a whole chunk at a time
 * ({@link ChunkSizes}), never beyond what is durable; {@code maxBytes} is enforced by
 * {@code drop-oldest} right after a group is written (before its appends complete) or by
 * {@code refuse-new} before it is; {@code maxAge} drops what is older once a second. Every drop is
 * told to the {@link DropHandler} first and logged by reason ({@link SpoolNotices}). The head is
 * saved with the cursor positions; once saved, the files entirely below it are released.
 *
 * <p>Writer thread, except {@link #head()}, {@link #bytes()} and {@link #dropHandler}.
 */
final class Retention {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);

    private final SpoolConfig config;
    private final SpoolStore store;
    private final SpoolCursors cursors;
    private final Writability writability;
    private final SpoolNotices notices;
    private final ChunkSizes sizes = new ChunkSizes();
    private volatile DropHandler dropHandler = (from, to, reason) -> { };
    /** The oldest entry readers may see; entries below it are deleted, or about to be. */
    private volatile long head;
    private volatile long bytes;

    /** The head as last written to the database. */
    private long savedHead;
    /** SST files entirely below this were deleted. */
    private long filesReleasedBelow;
    /** Entry bytes that went below the head since files were last released. */
    private long deadBytes;

    private Retention(SpoolConfig config, SpoolStore store, SpoolCursors cursors, Writability writability,
            SpoolNotices notices) {
        this.config = config;
        this.store = store;
        this.cursors = cursors;
        this.writability = writability;
        this.notices = notices;
    }

    /**
     * Rebuilds the size accounting from what is stored from the saved head on, at open (entries
     * below it were deleted; their files may still be there). {@code next} is where appends continue.
     */
    static Retention recover(SpoolConfig config, SpoolStore store, SpoolCursors cursors, Writability writability,
            SpoolNotices notices, long savedHead, long next) {
        Retention retention = new Retention(config, store, cursors, writability, notices);
        Run stored = new Run(next);
        store.visitSizes(savedHead, (seq, size, receivedAt) -> {
            retention.sizes.add(seq, size);
            stored.add(seq, size);
            return true;
        });
        retention.head = stored.first;
        retention.savedHead = savedHead;
        retention.bytes = stored.bytes;
        if (stored.end > stored.first) {
            log.atInfo().addKeyValue("dir", config.dir())
                    .log("spool recovered {} stored messages ({} bytes), sequence {} to {}", stored.end - stored.first,
                            stored.bytes, stored.first, stored.end - 1);
        }
        return retention;
    }

    long head() {
        return head;
    }

    long bytes() {
        return bytes;
    }

    void dropHandler(DropHandler handler) {
        this.dropHandler = handler;
    }

    // ---------------------------------------------------------------- around a group write

    /** With {@code refuse-new}, before a group of {@code incoming} bytes that would not fit: reclaims first. */
    void makeRoom(long incoming, long durable, long next) {
        if (refuseNew() && sizes.total() + incoming > config.maxBytes()) {
            reclaim(durable, next);
            releaseIfMuchIsDead();
        }
    }

    /** Whether {@code more} bytes fit besides what is stored (always with {@code drop-oldest}). */
    boolean fits(long more) {
        return !refuseNew() || sizes.total() + more <= config.maxBytes();
    }

    /**
     * Whether {@code more} bytes are certain to fit (any thread): always with {@code drop-oldest};
     * with {@code refuse-new} when they fit beside what is stored even before a reclaim.
     */
    boolean roomFor(long more) {
        return !refuseNew() || bytes + more <= config.maxBytes();
    }

    /** What an append gets that does not {@linkplain #fits fit}. */
    SpoolFullException fullRefusal() {
        return new SpoolFullException(config.maxBytes());
    }

    /** {@code messages} appends of one group did not fit. */
    void refusedFull(int messages) {
        notices.refusedFull(messages);
    }

    /** An entry was written. */
    void stored(long seq, int size) {
        sizes.add(seq, size);
        bytes = sizes.total();
    }

    /**
     * With {@code drop-oldest}, after a group was written and before its appends complete: drops
     * from the head until the spool is within {@code maxBytes} again.
     */
    void trim(long durable, long next) {
        if (!refuseNew() && sizes.total() > config.maxBytes()) {
            reclaim(durable, next);
            long excess = sizes.total() - config.maxBytes();
            dropFromHead(DropReason.SPOOL_FULL, (receivedAt, freed) -> freed < excess);
            releaseIfMuchIsDead();
        }
    }

    private boolean refuseNew() {
        return config.whenFull() == SpoolConfig.WhenFull.REFUSE_NEW;
    }

    // ---------------------------------------------------------------- once a second

    /** Reclaims, expires, saves the head and cursors, and releases files (while the spool can write). */
    void maintain(long now, long durable, long next) {
        reclaim(durable, next);
        if (!config.maxAge().isZero()) {
            long cutoff = now - config.maxAge().toMillis();
            dropFromHead(DropReason.EXPIRED, (receivedAt, freed) -> receivedAt < cutoff);
        }
        save(false);
        releaseDeadFiles();
    }

    /** Logs the drops and refusals held back, once their interval is over (also while the spool cannot write). */
    void flushNotices() {
        notices.flush();
    }

    /**
     * Deletes whole chunks that every cursor has passed, never beyond {@code durable} (committed);
     * {@code next} is one past the newest entry written.
     */
    private void reclaim(long durable, long next) {
        long min = cursors.min(durable);
        long boundaryChunk = ChunkSizes.chunkOf(min);
        long to = boundaryChunk << ChunkSizes.CHUNK_BITS;
        if (min >= durable && durable == next) {
            // Everything is delivered and nothing waits for its fsync: the partial last chunk can go too.
            // (Entries at or after committed would share that chunk's byte count.)
            to = durable;
            boundaryChunk = ChunkSizes.chunkOf(durable) + 1;
        }
        if (to <= head) {
            return;
        }
        deadBytes += sizes.removeChunksBelow(boundaryChunk);
        head = to;
        bytes = sizes.total();
    }

    /**
     * Drops entries from the head on while {@code rule} says so: tells the drop handler, moves the
     * cursors past them and logs it.
     */
    private void dropFromHead(DropReason reason, DropRule rule) {
        long from = head;
        Run dropped = new Run(from);
        store.visitSizes(from, (seq, size, receivedAt) -> {
            if (!rule.drops(receivedAt, dropped.bytes)) {
                return false;
            }
            sizes.subtract(seq, size);
            dropped.add(seq, size);
            return true;
        });
        long newHead = dropped.end;
        if (newHead <= from) {
            return;
        }
        try {
            dropHandler.beforeDrop(from, newHead, reason);
        } catch (RuntimeException e) {
            log.warn("spool drop handler failed", e);
        }
        cursors.raiseTo(newHead);
        deadBytes += dropped.bytes;
        head = newHead;
        bytes = sizes.total();
        notices.dropped(reason, from, newHead);
    }

    /** Whether the next entry from the head goes, given its receipt time and the bytes dropped before it. */
    @FunctionalInterface
    private interface DropRule {
        boolean drops(long receivedAt, long freed);
    }

    /** Consecutive stored entries, as visited from {@code first} on (empty: {@code end == first}). */
    private static final class Run {
        long first;
        long end;
        long bytes;

        Run(long start) {
            this.first = start;
            this.end = start;
        }

        void add(long seq, int size) {
            if (end == first) {
                first = seq;
            }
            end = seq + 1;
            bytes += size;
        }
    }

    // ---------------------------------------------------------------- saving the head and releasing files

    /** Writes the head and the cursor moves and deletions, if any changed; false if that failed. */
    boolean save(boolean sync) {
        if (!writability.writable()) {
            return false;
        }
        try (WriteBatch wb = new WriteBatch()) {
            saveWith(wb, sync);
            return true;
        } catch (RocksDBException | SpoolException e) {
            writability.failed("saving cursor positions", e);
            return false;
        }
    }

    /**
     * Writes {@code wb} with the head (if it moved) and the cursor moves and deletions, unless all of
     * that is empty; if the write fails, the cursor changes go with the next one.
     */
    void saveWith(WriteBatch wb, boolean sync) throws RocksDBException {
        long newHead = head;
        if (newHead != savedHead) {
            store.putHead(wb, newHead);
        }
        cursors.writeWith(wb, store.meta(), batch -> {
            if (batch.count() > 0) {
                store.write(batch, sync);
            }
        });
        savedHead = newHead;
    }

    /**
     * Frees the disk space of entries below the head: once the head is saved, RocksDB deletes every
     * SST file whose entries are all below it, without rewriting anything. The spool writes no
     * range deletions: with them, every level-0 file overlapped all the live data, and compaction,
     * rewriting it again and again, fell behind the writes (a 64 MB spool took 250 MB on disk at
     * 5 MB/s). Without them, flushed files never overlap and move down the levels without a rewrite;
     * what is dead but not yet released is bounded by a few write buffers (see {@link SpoolSizing}).
     * Reading starts at the head, so entries below it are never seen, also after a restart.
     */
    private void releaseDeadFiles() {
        if (savedHead <= filesReleasedBelow || !writability.writable()) {
            return;
        }
        long below = savedHead;
        try {
            store.deleteFilesBelow(SpoolStore.key(below));
            filesReleasedBelow = below;
            deadBytes = 0;
        } catch (RocksDBException | SpoolException e) {
            writability.failed("deleting spool files every sink is done with", e);
        }
    }

    /** After a drop: releases files at once when a write buffer's worth went below the head. */
    private void releaseIfMuchIsDead() {
        if (deadBytes >= store.sizing().writeBufferSize() && save(false)) {
            releaseDeadFiles();
        }
    }
}
