package io.edgebridge.core.internal.spool;

import io.edgebridge.config.SpoolConfig;
import io.edgebridge.core.support.LogLimit;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The durable upstream buffer: an append-only log in RocksDB that every upstream message enters
 * once, keyed by a sequence number, with one named cursor per reader.
 *
 * <p>This class is the spool's face; the work is done by:
 * <ul>
 *   <li>{@link GroupCommit}: one writer thread writes whatever appends wait as one batch to RocksDB's
 *       write-ahead log (no fsync), makes them visible to readers and hands the group to the
 *       {@link GroupSyncer}, which fsyncs once for every group that arrived meanwhile and only then completes
 *       their futures: a caller acknowledges its device only for messages that are on disk, while
 *       forwarding never waits for the disk;</li>
 *   <li>{@link Retention}: the head, the bytes stored, reclaiming what every cursor passed (whole
 *       chunks of {@link ChunkSizes#CHUNK} entries), {@code maxBytes} and {@code maxAge}, drops;</li>
 *   <li>{@link SpoolStore}: the database, its reads and writes, and reopening it;</li>
 *   <li>{@link Writability} and {@link WriteRecovery}: a write that fails (disk full, I/O error)
 *       changes nothing the readers or the counts see, and makes the spool
 *       {@linkplain #writeProblem() unwritable}: appends are refused at once (nobody is acknowledged
 *       for them) and the writer tries to write again with a backoff, reopening the database when
 *       RocksDB keeps refusing, until a write works; then it accepts appends again by itself;</li>
 *   <li>{@link SpoolCursors}: the live cursor positions, written with the next group.</li>
 * </ul>
 *
 * <p>Readers call {@link #read} from their own threads. They see an entry as soon as it is written
 * (from an in-memory tail cache, so readers that keep up never touch the database); entries below
 * {@link #committed()} are durable.
 */
public final class Spool implements AutoCloseable {

    private static final int TAIL_ENTRIES = 4096;
    private static final long TAIL_BYTES = 4L << 20;

    private final SpoolStore store;
    private final SpoolCursors cursors;
    private final Writability writability;
    private final Retention retention;
    private final GroupCommit commit;
    private final TailCache tail = new TailCache(TAIL_ENTRIES, TAIL_BYTES);
    private volatile boolean closed;

    private Spool(SpoolConfig config, LongSupplier clock, SpoolStore store) {
        this.store = store;
        this.writability = new Writability(config.dir(), clock, System::nanoTime, LogLimit.DEFAULT_INTERVAL);
        this.cursors = SpoolCursors.load(store.db(), store.meta());
        // Entries below the saved head were deleted (their files may still be there); appends continue
        // after the newest entry, the saved head and every stored cursor.
        long savedHead = store.storedHead();
        long next = Math.max(Math.max(store.lastSeq() + 1, savedHead), cursors.maxStored());
        SpoolNotices notices = new SpoolNotices(config, System::nanoTime, LogLimit.DEFAULT_INTERVAL);
        this.retention = Retention.recover(config, store, cursors, writability, notices, savedHead, next);
        WriteRecovery recovery = new WriteRecovery(store, retention, writability, clock);
        this.commit = new GroupCommit(store, cursors, writability, retention, recovery, tail, clock, next);
        commit.start();
    }

    /** Opens (or creates) the spool in {@code config.dir()}. */
    public static Spool open(SpoolConfig config, LongSupplier clock) {
        return open(config, clock, DiskFaults.NONE);
    }

    /** As {@link #open(SpoolConfig, LongSupplier)}, on a disk that {@code faults} may make fail (tests). */
    static Spool open(SpoolConfig config, LongSupplier clock, DiskFaults faults) {
        SpoolStore store = SpoolStore.open(config.dir(), SpoolSizing.of(config.maxBytes()), faults);
        try {
            return new Spool(config, clock, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- appending

    /**
     * Appends a message. The future completes with its sequence number once it is durable, or
     * fails with {@link SpoolFullException} (refuse-new), {@link SpoolUnwritableException} (the spool
     * cannot write now) or {@link SpoolException}. Readers may see the entry a little earlier, as soon
     * as its group commit starts: forwarding does not wait for the fsync, only the acknowledgement to
     * the device does.
     */
    public CompletableFuture<Long> append(long receivedAt, int qos, boolean retain, String topic, byte[] payload) {
        return commit.append(receivedAt, qos, retain, topic, payload);
    }

    // ---------------------------------------------------------------- state

    /** The oldest sequence number that may still be stored. */
    public long head() {
        return retention.head();
    }

    /** One past the newest durable sequence number. */
    public long committed() {
        return commit.committed();
    }

    /** One past the newest sequence number readers can see (durable or about to be). */
    public long published() {
        return commit.published();
    }

    /** Stored message bytes (entries not yet reclaimed). */
    public long bytes() {
        return retention.bytes();
    }

    /** Write-ahead-log fsyncs so far (each makes one or more written groups durable). */
    public long commits() {
        return commit.commits();
    }

    /** Durable entries not yet reclaimed (some may be delivered and waiting for their chunk to complete). */
    public long entryCount() {
        // drop-oldest may trim entries written but not yet durable, moving the head past committed
        return Math.max(0, commit.committed() - retention.head());
    }

    /** Whether the spool can write (and so accepts appends). */
    public boolean writable() {
        return writability.writable();
    }

    /**
     * Whether appends of {@code bytes} in total (everything waiting for the writer included) can
     * now fail only by an I/O error: the spool writes, and with {@code refuse-new} they fit beside
     * what is stored. A caller may then promise an acknowledgement before the append completes
     * (the embedded broker's pipelined intake); otherwise it waits for the append's answer.
     */
    public boolean certainToTake(long bytes) {
        return writability.writable() && retention.roomFor(bytes);
    }

    /** Why the spool cannot write and refuses appends, while it cannot. */
    public Optional<String> writeProblem() {
        return writability.problem();
    }

    /** Writes to the database that failed since the spool was opened (appends, cursors, deletions, retries). */
    public long writeFailures() {
        return writability.failures();
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads up to {@code max} durable entries with sequence numbers from {@code from} on (or from
     * the head, if {@code from} was dropped), in order, into {@code out}. Returns how many (none while
     * the database is being reopened; listeners are told when there is more to read).
     */
    public int read(long from, int max, List<SpoolEntry> out) {
        long start = Math.max(from, retention.head());
        long visible = commit.published();
        if (start >= visible || max <= 0) {
            return 0;
        }
        int cached = tail.read(start, visible, max, out);
        if (cached > 0) {
            return cached;
        }
        long end = commit.committed();
        if (start >= end) {
            return 0; // not durable yet and no longer cached: readable once committed
        }
        return store.read(start, end, max, out);
    }

    /** Visits every stored entry with {@code from <= seq < to}, in order. */
    public void scan(long from, long to, Consumer<SpoolEntry> visitor) {
        store.scan(Math.max(from, retention.head()), to, visitor);
    }

    /**
     * Runs {@code listener} (on the writer thread; keep it short) when new entries become visible,
     * again when they become durable, and when the spool can read and write again after a failure.
     */
    public void onAppend(Runnable listener) {
        commit.onAppend(listener);
    }

    /** Removes a listener given to {@link #onAppend}. */
    public void removeOnAppend(Runnable listener) {
        commit.removeOnAppend(listener);
    }

    public void dropHandler(DropHandler handler) {
        retention.dropHandler(handler);
    }

    // ---------------------------------------------------------------- cursors

    /**
     * Names of every cursor: those registered since the spool was opened and those stored by an
     * earlier run (until deleted).
     */
    public Set<String> cursorNames() {
        return cursors.names();
    }

    /**
     * Where cursor {@code name} is now: how far its reader got (a cursor registered since the spool
     * was opened, even if its reader stopped), else where it was stored by an earlier run; empty if
     * there is no such cursor. A reader that takes over a sink (a reload recreated it) starts here.
     */
    public OptionalLong cursor(String name) {
        return cursors.position(name);
    }

    /**
     * Registers a cursor at {@code position} (everything below it is done for this reader).
     * Reclaiming never passes a registered cursor.
     */
    public void openCursor(String name, long position) {
        cursors.open(name, position);
    }

    /** Moves a cursor forward (never backward); persisted lazily. */
    public void moveCursor(String name, long position) {
        cursors.move(name, position);
    }

    /**
     * Forgets a cursor (its sink was removed from the configuration): at once in memory, on disk with
     * the writer's next write (within a second, or at close).
     */
    public void deleteCursor(String name) {
        cursors.delete(name);
    }

    // ---------------------------------------------------------------- closing

    /**
     * Stops accepting appends, writes what is queued, persists cursors and closes the database.
     * Call only after every reader has stopped.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        commit.close();
        store.close(); // readers that come later are refused
    }
}
