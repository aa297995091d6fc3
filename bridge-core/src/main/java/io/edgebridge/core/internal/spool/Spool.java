package io.edgebridge.core.internal.spool;

import io.edgebridge.config.SpoolConfig;
import io.edgebridge.core.support.LogLimit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable upstream buffer: an append-only log in RocksDB that every upstream message enters
 * once, keyed by a sequence number, with one named cursor per reader.
 *
 * <p>One writer thread owns all mutation. It takes whatever appends are waiting and writes them in
 * one {@link WriteBatch} to RocksDB's write-ahead log (a {@code write()}, no fsync: safe against a
 * process crash), makes them visible to readers, and hands the group to a syncer thread. The syncer
 * fsyncs the log once for every group that arrived meanwhile and only then completes their futures,
 * so a caller acknowledges its device only for messages that are on disk, while forwarding never
 * waits for the disk: an fsync that takes 20 ms delays acknowledgements, not deliveries. The writer
 * also persists cursor positions, reclaims entries every cursor has passed (whole chunks of
 * {@link ChunkSizes#CHUNK} entries), and enforces {@code maxBytes} and {@code maxAge}.
 *
 * <p>A write that fails (disk full, I/O error) changes nothing the readers or the counts see: its
 * sequence numbers are given out again, its cursor moves go with the next write. The spool is then
 * {@linkplain #writeProblem() unwritable}: appends are refused at once (nobody is acknowledged for
 * them) and the writer tries to write again with a backoff, reopening the database when RocksDB
 * keeps refusing, until a write works; then it accepts appends again by itself. Deletions and
 * cursor moves made meanwhile are written then.
 *
 * <p>Readers call {@link #read} from their own threads. They see an entry as soon as it is written
 * (from an in-memory tail cache, so readers that keep up never touch the database); entries below
 * {@link #committed()} are durable.
 */
public final class Spool implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);

    private static final int MAX_BATCH = 4096;
    private static final long MAINTENANCE_MS = 1000;
    private static final int TAIL_ENTRIES = 4096;
    private static final long TAIL_BYTES = 4L << 20;
    /** Written by every recovery attempt, so that the attempt writes something even when no cursor moved. */
    private static final byte[] RECOVERY_KEY = "spool:recovered-at".getBytes(StandardCharsets.UTF_8);
    /** The head: entries below it are deleted, whether or not their files are gone yet. */
    private static final byte[] HEAD_KEY = "spool:head".getBytes(StandardCharsets.UTF_8);
    /** Room a reopen needs besides the memtables it writes out: a new log, MANIFEST, OPTIONS and info log. */
    private static final long REOPEN_MARGIN = 512 * 1024;

    private final SpoolConfig config;
    private final LongSupplier clock;
    private final SpoolStore store;
    private final SpoolCursors cursors;
    private final Writability writability;
    private final SpoolNotices notices;
    /** A group commit stops at this many bytes, so one WAL record stays well below a write buffer. */
    private final long maxGroupBytes;

    /** Appends waiting for the writer; lock-free, the writer parks only when it is empty. */
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private volatile boolean writerParked;
    private final Thread writer;
    /**
     * Groups written by the writer and waiting for their fsync. Not bounded here: what waits is bounded
     * by the appenders (devices wait for acknowledgements; QoS 0 intake is shed when too much waits),
     * and a slow fsync must never stall the writer and with it forwarding.
     */
    private final BlockingQueue<Group> unsynced = new LinkedBlockingQueue<>();
    /** Written groups handed to the syncer and not synced yet; the database is reopened only at zero. */
    private final AtomicInteger syncing = new AtomicInteger();
    private final Thread syncer;
    private final List<Runnable> commitListeners = new CopyOnWriteArrayList<>();
    private final ChunkSizes sizes = new ChunkSizes();

    private volatile DropHandler dropHandler = (from, to, reason) -> { };
    private final TailCache tail = new TailCache(TAIL_ENTRIES, TAIL_BYTES);
    /** The oldest entry readers may see; entries below it are deleted, or about to be. */
    private volatile long head;
    /** One past the newest entry readers may see (it may not be durable yet). */
    private volatile long published;
    /** One past the newest durable entry. */
    private volatile long committed;
    private volatile long bytes;
    private volatile long commits;
    private volatile boolean closing;
    private volatile boolean closed;

    /** Writer-thread state. */
    private long next;
    /** The head as last written to the database. */
    private long savedHead;
    /** SST files entirely below this were deleted. */
    private long filesReleasedBelow;
    /** Entry bytes that went below the head since files were last released. */
    private long deadBytes;
    private long lastMaintenance;

    private Spool(SpoolConfig config, LongSupplier clock, SpoolStore store) {
        this.config = config;
        this.clock = clock;
        this.store = store;
        this.writability = new Writability(config.dir(), clock, System::nanoTime, LogLimit.DEFAULT_INTERVAL);
        this.notices = new SpoolNotices(config, System::nanoTime, LogLimit.DEFAULT_INTERVAL);
        this.maxGroupBytes = Math.max(64 * SpoolSizing.KB, store.sizing().writeBufferSize() / 2);
        this.cursors = SpoolCursors.load(store.db(), store.meta());
        recover();
        this.lastMaintenance = clock.getAsLong();
        this.writer = new Thread(this::runWriter, "spool-writer");
        this.writer.setDaemon(true);
        this.syncer = new Thread(this::runSyncer, "spool-syncer");
        this.syncer.setDaemon(true);
        this.syncer.start();
        this.writer.start();
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
        CompletableFuture<Long> future = new CompletableFuture<>();
        if (closing) {
            future.completeExceptionally(new SpoolException("spool is closing"));
            return future;
        }
        byte[] record = SpoolEntry.encode(receivedAt, qos, retain, topic, payload);
        queue.add(new Pending(record, receivedAt, qos, retain, topic, payload, future));
        if (writerParked) {
            LockSupport.unpark(writer);
        }
        if (closing && !writer.isAlive()) {
            failLeftovers();
        }
        return future;
    }

    private void failLeftovers() {
        Pending leftover;
        while ((leftover = queue.poll()) != null) {
            leftover.future.completeExceptionally(new SpoolException("spool closed"));
        }
    }

    // ---------------------------------------------------------------- state

    /** The oldest sequence number that may still be stored. */
    public long head() {
        return head;
    }

    /** One past the newest durable sequence number. */
    public long committed() {
        return committed;
    }

    /** One past the newest sequence number readers can see (durable or about to be). */
    public long published() {
        return published;
    }

    /** Stored message bytes (entries not yet reclaimed). */
    public long bytes() {
        return bytes;
    }

    /** Write-ahead-log fsyncs so far (each makes one or more written groups durable). */
    public long commits() {
        return commits;
    }

    /** Durable entries not yet reclaimed (some may be delivered and waiting for their chunk to complete). */
    public long entryCount() {
        // drop-oldest may trim entries written but not yet durable, moving the head past committed
        return Math.max(0, committed - head);
    }

    /** Whether the spool can write (and so accepts appends). */
    public boolean writable() {
        return writability.writable();
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
        long start = Math.max(from, head);
        long visible = published;
        if (start >= visible || max <= 0) {
            return 0;
        }
        int cached = tail.read(start, visible, max, out);
        if (cached > 0) {
            return cached;
        }
        long end = committed;
        if (start >= end) {
            return 0; // not durable yet and no longer cached: readable once committed
        }
        int n = 0;
        store.readLock().lock();
        try {
            ensureOpen();
            if (!store.isOpen()) {
                return 0;
            }
            try (Slice upper = new Slice(key(end));
                    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = store.db().newIterator(store.entries(), options)) {
                for (it.seek(key(start)); it.isValid() && n < max; it.next()) {
                    out.add(SpoolEntry.decode(seqOf(it.key()), it.value()));
                    n++;
                }
            }
        } finally {
            store.readLock().unlock();
        }
        return n;
    }

    /** Visits every stored entry with {@code from <= seq < to}, in order. */
    public void scan(long from, long to, Consumer<SpoolEntry> visitor) {
        store.readLock().lock();
        try {
            ensureOpen();
            try (Slice upper = new Slice(key(to));
                    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = store.db().newIterator(store.entries(), options)) {
                for (it.seek(key(Math.max(from, head))); it.isValid(); it.next()) {
                    visitor.accept(SpoolEntry.decode(seqOf(it.key()), it.value()));
                }
            }
        } finally {
            store.readLock().unlock();
        }
    }

    /**
     * Runs {@code listener} (on the writer thread; keep it short) when new entries become visible,
     * again when they become durable, and when the spool can read and write again after a failure.
     */
    public void onAppend(Runnable listener) {
        commitListeners.add(listener);
    }

    /** Removes a listener given to {@link #onAppend}. */
    public void removeOnAppend(Runnable listener) {
        commitListeners.remove(listener);
    }

    public void dropHandler(DropHandler handler) {
        this.dropHandler = handler;
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

    // ---------------------------------------------------------------- writer thread

    private void runWriter() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            Pending first = queue.poll();
            try {
                if (first != null) {
                    batch.add(first);
                    long batchBytes = first.record.length;
                    Pending next;
                    while (batch.size() < MAX_BATCH && batchBytes < maxGroupBytes && (next = queue.poll()) != null) {
                        batch.add(next);
                        batchBytes += next.record.length;
                    }
                    writeBatch(batch);
                } else if (closing) {
                    break;
                } else {
                    writerParked = true;
                    if (queue.isEmpty() && !closing) {
                        // While the spool cannot write, wake up for the next retry even if nothing arrives.
                        LockSupport.parkNanos(this, Math.min(TimeUnit.MILLISECONDS.toNanos(MAINTENANCE_MS),
                                writability.nanosUntilRetry()));
                    }
                    writerParked = false;
                    recoverWriting(false);
                }
                long now = clock.getAsLong();
                if (now - lastMaintenance >= MAINTENANCE_MS) {
                    lastMaintenance = now;
                    maintain(now);
                }
            } catch (RuntimeException | Error e) {
                // Never let the writer die silently: every caller would wait forever.
                log.error("spool writer failed; failing the current batch", e);
                SpoolException failure = new SpoolException("spool writer failed: " + e);
                for (Pending p : batch) {
                    if (!p.handedOver) {
                        p.future.completeExceptionally(failure);
                    }
                }
            } finally {
                batch.clear();
            }
        }
        finishWriting();
    }

    private void writeBatch(List<Pending> batch) {
        if (!recoverWriting(false)) {
            // Refused without touching the disk; in order with the groups still waiting for their fsync.
            writability.refused(batch.size());
            handOver(new Group(next, List.copyOf(batch), writability.refusal()));
            return;
        }
        boolean refuse = config.whenFull() == SpoolConfig.WhenFull.REFUSE_NEW;
        if (refuse && sizes.total() + batchBytes(batch) > config.maxBytes()) {
            reclaim();
            releaseIfMuchIsDead();
        }
        List<Pending> accepted = new ArrayList<>(batch.size());
        long acceptedBytes = 0;
        int full = 0;
        SpoolFullException fullFailure = null;
        long seq = next;
        try (WriteBatch wb = new WriteBatch()) {
            for (Pending p : batch) {
                if (refuse && sizes.total() + acceptedBytes + p.record.length > config.maxBytes()) {
                    fullFailure = fullFailure != null ? fullFailure : new SpoolFullException(config.maxBytes());
                    p.future.completeExceptionally(fullFailure);
                    full++;
                    continue;
                }
                p.seq = seq++;
                wb.put(store.entries(), key(p.seq), p.record);
                acceptedBytes += p.record.length;
                accepted.add(p);
            }
            if (full > 0) {
                notices.refusedFull(full);
            }
            if (accepted.isEmpty()) {
                return;
            }
            SpoolCursors.Written moved = cursors.addTo(wb, store.meta());
            try {
                store.write(wb, false);
            } catch (RocksDBException | SpoolException e) {
                cursors.undo(moved);
                throw e;
            }
        } catch (RocksDBException | SpoolException e) {
            // Not stored, so nothing changes: the sequence numbers are given out again, readers and
            // counts never see these entries, and the devices get no acknowledgement.
            List<Pending> notStored = batch.stream().filter(p -> !p.future.isDone()).toList();
            writability.failed("writing " + notStored.size() + " messages", e);
            writability.refused(notStored.size());
            handOver(new Group(next, notStored, writability.refusal()));
            return;
        }
        next = seq;
        for (Pending p : accepted) {
            tail.add(new SpoolEntry(p.seq, p.receivedAt, p.qos, p.retain, p.topic, p.payload));
            sizes.add(p.seq, p.record.length);
        }
        bytes = sizes.total();
        // Readers may forward these now; only the devices' acknowledgements wait for the fsync.
        published = next;
        notifyListeners();
        // Trim before the group is handed to the syncer: once an append completes, the spool is back within maxBytes.
        if (config.whenFull() == SpoolConfig.WhenFull.DROP_OLDEST && sizes.total() > config.maxBytes()) {
            reclaim();
            dropOldest();
            releaseIfMuchIsDead();
        }
        handOver(new Group(next, accepted, null));
    }

    private void handOver(Group group) {
        for (Pending p : group.entries) {
            p.handedOver = true; // from now on only the syncer completes it
        }
        if (group.failure == null) {
            syncing.incrementAndGet();
        }
        try {
            unsynced.put(group);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (group.failure == null) {
                syncing.decrementAndGet();
            }
            SpoolException failure = new SpoolException("spool writer interrupted");
            for (Pending p : group.entries) {
                p.future.completeExceptionally(failure);
            }
        }
    }

    /**
     * Makes written groups durable: one fsync of the write-ahead log covers every group that is
     * waiting (RocksDB lets the writer keep writing meanwhile), then their appends complete in order.
     */
    private void runSyncer() {
        List<Group> groups = new ArrayList<>();
        while (true) {
            try {
                groups.add(unsynced.take());
            } catch (InterruptedException e) {
                break; // close() interrupts only after the writer stopped and everything was synced
            }
            unsynced.drainTo(groups);
            boolean stop = groups.get(groups.size() - 1) == Group.STOP;
            if (stop) {
                groups.remove(groups.size() - 1);
            }
            SpoolException syncFailure = null;
            if (groups.stream().anyMatch(g -> g.failure == null)) {
                try {
                    store.syncWal();
                    commits++;
                } catch (RocksDBException | RuntimeException e) {
                    writability.failed("syncing the write-ahead log", e);
                    writability.refused(groups.stream().filter(g -> g.failure == null)
                            .mapToInt(g -> g.entries.size()).sum());
                    syncFailure = writability.refusal();
                }
            }
            for (Group g : groups) {
                if (g.failure == null) {
                    // Written, so readable even when the fsync failed; its devices are not acknowledged.
                    committed = g.next;
                }
                SpoolException failure = g.failure != null ? g.failure : syncFailure;
                for (Pending p : g.entries) {
                    if (failure == null) {
                        p.future.complete(p.seq);
                    } else {
                        p.future.completeExceptionally(failure);
                    }
                }
            }
            syncing.addAndGet(-(int) groups.stream().filter(g -> g.failure == null).count());
            groups.clear();
            notifyListeners();
            if (stop) {
                return;
            }
        }
    }

    private void notifyListeners() {
        for (Runnable listener : commitListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("spool listener failed", e);
            }
        }
    }

    private static long batchBytes(List<Pending> batch) {
        long total = 0;
        for (Pending p : batch) {
            total += p.record.length;
        }
        return total;
    }

    // ---------------------------------------------------------------- recovering from a failed write

    /**
     * Whether the spool can write; while it cannot, and a retry is due (or {@code force}), tries to:
     * first on the open database (RocksDB recovers from some errors by itself), then by reopening it,
     * which clears the error RocksDB keeps after a failed log write. A retry writes what the failure
     * held back (deletions, cursor positions) with an fsync.
     */
    private boolean recoverWriting(boolean force) {
        if (writability.writable()) {
            return true;
        }
        if (!force && !writability.retryDue()) {
            return false;
        }
        if (store.isOpen()) {
            try {
                writeHeldBack();
                writableAgain();
                return true;
            } catch (RocksDBException | SpoolException e) {
                writability.failed("trying to write again", e);
            }
        }
        Optional<String> blocker = reopenBlocker();
        if (blocker.isPresent()) {
            writability.retryLater(blocker.get());
            return false;
        }
        try {
            store.reopen();
            log.atInfo().addKeyValue("dir", config.dir()).log("spool database reopened to clear a write error");
            writeHeldBack();
            writableAgain();
            return true;
        } catch (RocksDBException | SpoolException e) {
            writability.retryFailed(store.isOpen() ? "writing after reopening the database"
                    : "reopening the database", e);
            return false;
        }
    }

    /** Why the database cannot be reopened now, if it cannot. */
    private Optional<String> reopenBlocker() {
        if (syncing.get() > 0) {
            return Optional.of("waiting for an fsync in progress before reopening the database");
        }
        // Opening writes the memtables out as SST files; while closed, assume they were full.
        long memtables = 2L * SpoolSizing.MAX_WRITE_BUFFERS * store.sizing().writeBufferSize();
        try {
            if (store.isOpen()) {
                memtables = store.memtableBytes();
            }
            long needed = REOPEN_MARGIN + memtables + memtables / 10;
            long usable = store.usableSpace();
            if (usable < needed) {
                return Optional.of("disk full: " + usable + " bytes free, reopening the database needs " + needed);
            }
        } catch (RocksDBException | IOException | RuntimeException e) {
            return Optional.of("cannot tell the free disk space: " + e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * One synced write of everything a failure held back: removal of entries a failed write may have
     * left in the log after all (never acknowledged), the head, cursor moves and deletions, and a
     * marker so that something is written even when nothing was held back.
     */
    private void writeHeldBack() throws RocksDBException {
        try (WriteBatch wb = new WriteBatch()) {
            removeUnaccepted(wb);
            long newHead = head;
            wb.put(store.meta(), HEAD_KEY, key(newHead));
            SpoolCursors.Written moved = cursors.addTo(wb, store.meta());
            wb.put(store.meta(), RECOVERY_KEY, key(clock.getAsLong()));
            try {
                store.write(wb, true);
            } catch (RocksDBException | SpoolException e) {
                cursors.undo(moved);
                throw e;
            }
            savedHead = newHead;
        }
    }

    /** Entries at or after {@link #next}, which only a write that reported failure can have left. */
    private void removeUnaccepted(WriteBatch wb) throws RocksDBException {
        try (RocksIterator it = store.db().newIterator(store.entries())) {
            it.seekToLast();
            if (it.isValid() && seqOf(it.key()) >= next) {
                wb.deleteRange(store.entries(), key(next), key(seqOf(it.key()) + 1));
            }
        }
    }

    private void writableAgain() {
        writability.recovered();
        lastMaintenance = 0; // reclaim, expire and release files at once
        notifyListeners(); // readers that found the database closed read again
    }

    /** Before the writer stops: one more try to write, then the cursors, so a restart resends little. */
    private void finishWriting() {
        if (recoverWriting(true)) {
            persistCursors(true);
        }
        writability.problem().ifPresent(problem -> log.atError().addKeyValue("dir", config.dir())
                .log("spool could not save its cursor positions before closing ({}): after a restart, sinks resume"
                        + " from the positions saved last and send again what they delivered since", problem));
    }

    // ---------------------------------------------------------------- maintenance

    private void maintain(long now) {
        writability.flush();
        notices.flush();
        if (!recoverWriting(false)) {
            return;
        }
        reclaim();
        if (!config.maxAge().isZero()) {
            expire(now - config.maxAge().toMillis());
        }
        persistCursors(false);
        releaseDeadFiles();
    }

    /** Deletes whole chunks that every cursor has passed (never beyond what is durable). */
    private void reclaim() {
        long durable = committed;
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
            store.deleteFilesBelow(key(below));
            filesReleasedBelow = below;
            deadBytes = 0;
        } catch (RocksDBException | SpoolException e) {
            writability.failed("deleting spool files every sink is done with", e);
        }
    }

    /** After a drop: releases files at once when a write buffer's worth went below the head. */
    private void releaseIfMuchIsDead() {
        if (deadBytes >= store.sizing().writeBufferSize() && persistCursors(false)) {
            releaseDeadFiles();
        }
    }

    private void dropOldest() {
        long excess = sizes.total() - config.maxBytes();
        if (excess <= 0) {
            return;
        }
        long newHead = head;
        long freed = 0;
        ByteBuffer sizeProbe = ByteBuffer.allocateDirect(1);
        try (RocksIterator it = store.db().newIterator(store.entries())) {
            for (it.seek(key(head)); it.isValid() && freed < excess; it.next()) {
                long seq = seqOf(it.key());
                sizeProbe.clear();
                int size = it.value(sizeProbe);
                freed += size;
                sizes.subtract(seq, size);
                newHead = seq + 1;
            }
        }
        dropRange(newHead, DropReason.SPOOL_FULL, freed);
    }

    private void expire(long cutoff) {
        long newHead = head;
        long freed = 0;
        try (RocksIterator it = store.db().newIterator(store.entries())) {
            for (it.seek(key(head)); it.isValid(); it.next()) {
                byte[] value = it.value();
                if (SpoolEntry.receivedAtOf(value) >= cutoff) {
                    break;
                }
                long seq = seqOf(it.key());
                sizes.subtract(seq, value.length);
                freed += value.length;
                newHead = seq + 1;
            }
        }
        dropRange(newHead, DropReason.EXPIRED, freed);
    }

    private void dropRange(long newHead, DropReason reason, long freed) {
        if (newHead <= head) {
            return;
        }
        long from = head;
        try {
            dropHandler.beforeDrop(from, newHead, reason);
        } catch (RuntimeException e) {
            log.warn("spool drop handler failed", e);
        }
        cursors.raiseTo(newHead);
        deadBytes += freed;
        head = newHead;
        bytes = sizes.total();
        notices.dropped(reason, from, newHead);
    }

    /** Writes moved and deleted cursors and the head, if they changed. */
    private boolean persistCursors(boolean sync) {
        if (!writability.writable()) {
            return false;
        }
        try (WriteBatch wb = new WriteBatch()) {
            long newHead = head;
            if (newHead != savedHead) {
                wb.put(store.meta(), HEAD_KEY, key(newHead));
            }
            SpoolCursors.Written moved = cursors.addTo(wb, store.meta());
            if (wb.count() == 0) {
                return true;
            }
            try {
                store.write(wb, sync);
                savedHead = newHead;
                return true;
            } catch (RocksDBException | SpoolException e) {
                cursors.undo(moved);
                writability.failed("saving cursor positions", e);
                return false;
            }
        } catch (RocksDBException e) {
            writability.failed("saving cursor positions", e);
            return false;
        }
    }

    // ---------------------------------------------------------------- recovery at open

    /**
     * Finds head and tail and rebuilds the size accounting from what is on disk. Entries below the
     * saved head were deleted (their files may still be there).
     */
    private void recover() {
        long first = -1;
        long last = -1;
        long savedAt = storedHead();
        ByteBuffer sizeProbe = ByteBuffer.allocateDirect(1);
        try (RocksIterator it = store.db().newIterator(store.entries())) {
            it.seekToLast();
            long lastStored = it.isValid() ? seqOf(it.key()) : 0;
            next = Math.max(Math.max(lastStored + 1, savedAt), cursors.maxStored());
            for (it.seek(key(savedAt)); it.isValid(); it.next()) {
                long seq = seqOf(it.key());
                sizeProbe.clear();
                sizes.add(seq, it.value(sizeProbe));
                if (first < 0) {
                    first = seq;
                }
                last = seq;
            }
        }
        head = first < 0 ? next : first;
        savedHead = savedAt;
        committed = next;
        published = next;
        bytes = sizes.total();
        if (first >= 0) {
            log.atInfo().addKeyValue("dir", config.dir())
                    .log("spool recovered {} stored messages ({} bytes), sequence {} to {}", last - first + 1,
                            bytes, first, last);
        }
    }

    private long storedHead() {
        try {
            byte[] value = store.db().get(store.meta(), HEAD_KEY);
            return value == null ? 0 : seqOf(value);
        } catch (RocksDBException e) {
            throw new SpoolException("cannot read the spool's head in " + config.dir() + ": " + e.getMessage(), e);
        }
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
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
            if (!writer.isAlive()) {
                unsynced.put(Group.STOP);
            }
            syncer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failLeftovers();
        if (writability.writable() && store.isOpen()) {
            try {
                store.syncWal();
            } catch (RocksDBException | RuntimeException e) {
                log.warn("spool WAL sync on close failed: {}", e.getMessage());
            }
        }
        closed = true; // readers that take the lock from now on are refused
        store.close();
    }

    private void ensureOpen() {
        if (closed) {
            throw new SpoolException("spool is closed");
        }
    }

    // ---------------------------------------------------------------- encoding helpers

    static byte[] key(long seq) {
        return ByteBuffer.allocate(8).putLong(seq).array();
    }

    static long seqOf(byte[] key) {
        return ByteBuffer.wrap(key).getLong();
    }

    private static final class Pending {
        final byte[] record;
        final long receivedAt;
        final int qos;
        final boolean retain;
        final String topic;
        final byte[] payload;
        final CompletableFuture<Long> future;
        long seq;
        boolean handedOver;

        Pending(byte[] record, long receivedAt, int qos, boolean retain, String topic, byte[] payload,
                CompletableFuture<Long> future) {
            this.record = record;
            this.receivedAt = receivedAt;
            this.qos = qos;
            this.retain = retain;
            this.topic = topic;
            this.payload = payload;
            this.future = future;
        }
    }

    /** Appends written together, waiting for the fsync that makes them durable (or refused together). */
    private record Group(long next, List<Pending> entries, SpoolException failure) {
        static final Group STOP = new Group(-1, List.of(), null);
    }
}
