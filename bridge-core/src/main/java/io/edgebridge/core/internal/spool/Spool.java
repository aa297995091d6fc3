package io.edgebridge.core.internal.spool;

import io.edgebridge.config.SpoolConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
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
 * <p>Readers call {@link #read} from their own threads. They see an entry as soon as it is written
 * (from an in-memory tail cache, so readers that keep up never touch the database); entries below
 * {@link #committed()} are durable.
 */
public final class Spool implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);

    private static final int MAX_BATCH = 4096;
    private static final long MAINTENANCE_MS = 1000;
    private static final byte[] CURSOR_PREFIX = "cursor:".getBytes(StandardCharsets.UTF_8);
    private static final long COMPACT_AFTER_ENTRIES = 100_000;
    private static final int TAIL_ENTRIES = 4096;
    private static final long TAIL_BYTES = 4L << 20;

    private final SpoolConfig config;
    private final LongSupplier clock;
    private final RocksDB db;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final LRUCache blockCache;
    private final ColumnFamilyHandle entries;
    private final ColumnFamilyHandle meta;
    private final List<ColumnFamilyHandle> handles;
    private final WriteOptions syncWrite;
    private final WriteOptions lazyWrite;

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
    private final Thread syncer;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final Map<String, Cursor> cursors = new ConcurrentHashMap<>();
    private final Map<String, Long> persistedCursors;
    private final List<Runnable> commitListeners = new CopyOnWriteArrayList<>();
    private final ChunkSizes sizes = new ChunkSizes();

    private volatile DropHandler dropHandler = (from, to, reason) -> { };
    private final TailCache tail = new TailCache(TAIL_ENTRIES, TAIL_BYTES);
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
    private long deletedSinceCompaction;
    private long lastMaintenance;

    private Spool(SpoolConfig config, LongSupplier clock, RocksDB db, DBOptions dbOptions,
            ColumnFamilyOptions cfOptions, LRUCache blockCache, List<ColumnFamilyHandle> handles) {
        this.config = config;
        this.clock = clock;
        this.db = db;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.blockCache = blockCache;
        this.handles = handles;
        this.entries = handles.get(0);
        this.meta = handles.get(1);
        this.syncWrite = new WriteOptions().setSync(true);
        this.lazyWrite = new WriteOptions().setSync(false);
        this.persistedCursors = loadCursors();
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
        Path dir = config.dir();
        try {
            Files.createDirectories(dir);
        } catch (Exception e) {
            throw new SpoolException("cannot create spool directory " + dir + ": " + e.getMessage(), e);
        }
        RocksDB.loadLibrary();
        DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2)
                .setKeepLogFileNum(2)
                .setMaxLogFileSize(1 << 20)
                .setMaxTotalWalSize(64L << 20)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL);
        LRUCache blockCache = new LRUCache(8L << 20);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions()
                .setWriteBufferSize(16L << 20)
                .setMaxWriteBufferNumber(3)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor("meta".getBytes(StandardCharsets.UTF_8), cfOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new Spool(config, clock, db, dbOptions, cfOptions, blockCache, handles);
        } catch (RocksDBException e) {
            dbOptions.close();
            cfOptions.close();
            blockCache.close();
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("lock")) {
                throw new SpoolException("spool directory " + dir + " is in use by another process", e);
            }
            throw new SpoolException("cannot open spool in " + dir + ": " + msg, e);
        }
    }

    // ---------------------------------------------------------------- appending

    /**
     * Appends a message. The future completes with its sequence number once it is durable, or
     * fails with {@link SpoolFullException} (refuse-new) or {@link SpoolException}. Readers may see
     * the entry a little earlier, as soon as its group commit starts: forwarding does not wait for
     * the fsync, only the acknowledgement to the device does.
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

    // ---------------------------------------------------------------- reading

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

    /** Entries not yet reclaimed (some may be delivered and waiting for their chunk to complete). */
    public long entryCount() {
        return committed - head;
    }

    /**
     * Reads up to {@code max} durable entries with sequence numbers from {@code from} on (or from
     * the head, if {@code from} was dropped), in order, into {@code out}. Returns how many.
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
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            try (Slice upper = new Slice(key(end));
                    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = db.newIterator(entries, options)) {
                for (it.seek(key(start)); it.isValid() && n < max; it.next()) {
                    out.add(SpoolEntry.decode(seqOf(it.key()), it.value()));
                    n++;
                }
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        return n;
    }

    /** Visits every stored entry with {@code from <= seq < to}, in order. */
    public void scan(long from, long to, Consumer<SpoolEntry> visitor) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            try (Slice upper = new Slice(key(to));
                    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                    RocksIterator it = db.newIterator(entries, options)) {
                for (it.seek(key(from)); it.isValid(); it.next()) {
                    visitor.accept(SpoolEntry.decode(seqOf(it.key()), it.value()));
                }
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Runs {@code listener} (on the writer thread; keep it short) when new entries become visible and
     * again when they become durable.
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
    public java.util.Set<String> cursorNames() {
        java.util.Set<String> names = new java.util.TreeSet<>(persistedCursors.keySet());
        names.addAll(cursors.keySet());
        return java.util.Set.copyOf(names);
    }

    /**
     * Where cursor {@code name} is now: how far its reader got (a cursor registered since the spool
     * was opened, even if its reader stopped), else where it was stored by an earlier run; empty if
     * there is no such cursor. A reader that takes over a sink (a reload recreated it) starts here.
     */
    public OptionalLong cursor(String name) {
        Cursor live = cursors.get(name);
        if (live != null) {
            return OptionalLong.of(live.position);
        }
        Long stored = persistedCursors.get(name);
        return stored == null ? OptionalLong.empty() : OptionalLong.of(stored);
    }

    /**
     * Registers a cursor at {@code position} (everything below it is done for this reader).
     * Reclaiming never passes a registered cursor.
     */
    public void openCursor(String name, long position) {
        Cursor cursor = new Cursor(Math.max(position, 0));
        cursors.put(name, cursor);
        cursor.dirty = true;
    }

    /** Moves a cursor forward (never backward); persisted lazily. */
    public void moveCursor(String name, long position) {
        Cursor cursor = cursors.get(name);
        if (cursor != null && position > cursor.position) {
            cursor.position = position;
            cursor.dirty = true;
        }
    }

    /** Forgets a cursor, in memory and on disk (its sink was removed from the configuration). */
    public void deleteCursor(String name) {
        cursors.remove(name);
        persistedCursors.remove(name);
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            db.delete(meta, lazyWrite, cursorKey(name));
        } catch (RocksDBException e) {
            log.atWarn().addKeyValue("cursor", name).log("could not delete spool cursor: {}", e.getMessage());
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    // ---------------------------------------------------------------- writer thread

    private void runWriter() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            Pending first = queue.poll();
            try {
                if (first != null) {
                    batch.add(first);
                    Pending next;
                    while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
                        batch.add(next);
                    }
                    writeBatch(batch);
                } else if (closing) {
                    break;
                } else {
                    writerParked = true;
                    if (queue.isEmpty() && !closing) {
                        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(MAINTENANCE_MS));
                    }
                    writerParked = false;
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
        persistCursors(true);
    }

    private void writeBatch(List<Pending> batch) {
        List<Pending> accepted = new ArrayList<>(batch.size());
        long acceptedBytes = 0;
        boolean refuse = config.whenFull() == SpoolConfig.WhenFull.REFUSE_NEW;
        if (refuse && sizes.total() + batchBytes(batch) > config.maxBytes()) {
            reclaim();
        }
        try (WriteBatch wb = new WriteBatch()) {
            for (Pending p : batch) {
                if (refuse && sizes.total() + acceptedBytes + p.record.length > config.maxBytes()) {
                    p.future.completeExceptionally(new SpoolFullException(config.maxBytes()));
                    continue;
                }
                p.seq = next++;
                wb.put(entries, key(p.seq), p.record);
                acceptedBytes += p.record.length;
                accepted.add(p);
                tail.add(new SpoolEntry(p.seq, p.receivedAt, p.qos, p.retain, p.topic, p.payload));
            }
            if (accepted.isEmpty()) {
                return;
            }
            addCursorUpdates(wb);
            db.write(lazyWrite, wb);
        } catch (RocksDBException e) {
            // Not stored: the devices get no acknowledgement and send them again. Sequence numbers
            // are not reused; the group still passes through the syncer to keep commits in order.
            log.atError().addKeyValue("dir", config.dir()).log("spool write failed, {} messages not accepted: {}",
                    accepted.size(), e.getMessage());
            handOver(new Group(next, accepted, new SpoolException("spool write failed: " + e.getMessage(), e)));
            return;
        }
        for (Pending p : accepted) {
            sizes.add(p.seq, p.record.length);
        }
        bytes = sizes.total();
        // Readers may forward these now; only the devices' acknowledgements wait for the fsync.
        published = next;
        notifyListeners();
        handOver(new Group(next, accepted, null));
        if (config.whenFull() == SpoolConfig.WhenFull.DROP_OLDEST && sizes.total() > config.maxBytes()) {
            reclaim();
            dropOldest();
        }
    }

    private void handOver(Group group) {
        for (Pending p : group.entries) {
            p.handedOver = true; // from now on only the syncer completes it
        }
        try {
            unsynced.put(group);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
                    db.syncWal();
                } catch (RocksDBException | RuntimeException e) {
                    log.atError().addKeyValue("dir", config.dir()).log("spool fsync failed: {}", e.getMessage());
                    syncFailure = new SpoolException("spool write failed: " + e.getMessage(), e);
                }
            }
            if (syncFailure == null && groups.stream().anyMatch(g -> g.failure == null)) {
                commits++;
            }
            for (Group g : groups) {
                SpoolException failure = g.failure != null ? g.failure : syncFailure;
                committed = g.next;
                for (Pending p : g.entries) {
                    if (failure == null) {
                        p.future.complete(p.seq);
                    } else {
                        p.future.completeExceptionally(failure);
                    }
                }
            }
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

    private void maintain(long now) {
        persistCursors(false);
        reclaim();
        if (!config.maxAge().isZero()) {
            expire(now - config.maxAge().toMillis());
        }
        if (deletedSinceCompaction >= COMPACT_AFTER_ENTRIES) {
            deletedSinceCompaction = 0;
            compactDeleted();
        }
    }

    /** Deletes whole chunks that every cursor has passed (never beyond what is durable). */
    private void reclaim() {
        long min = committed;
        for (Cursor c : cursors.values()) {
            min = Math.min(min, c.position);
        }
        long boundaryChunk = ChunkSizes.chunkOf(min);
        long to = boundaryChunk << ChunkSizes.CHUNK_BITS;
        if (min >= committed) {
            // Everything is delivered: the partial last chunk can go too.
            to = committed;
            boundaryChunk = ChunkSizes.chunkOf(committed) + 1;
        }
        if (to <= head) {
            return;
        }
        try {
            db.deleteRange(entries, lazyWrite, key(head), key(to));
        } catch (RocksDBException e) {
            log.warn("spool reclaim failed: {}", e.getMessage());
            return;
        }
        sizes.removeChunksBelow(boundaryChunk);
        deletedSinceCompaction += to - head;
        head = to;
        bytes = sizes.total();
    }

    private void dropOldest() {
        long excess = sizes.total() - config.maxBytes();
        if (excess <= 0) {
            return;
        }
        long newHead = head;
        long freed = 0;
        ByteBuffer sizeProbe = ByteBuffer.allocateDirect(1);
        try (RocksIterator it = db.newIterator(entries)) {
            for (it.seek(key(head)); it.isValid() && freed < excess; it.next()) {
                long seq = seqOf(it.key());
                sizeProbe.clear();
                int size = it.value(sizeProbe);
                freed += size;
                sizes.subtract(seq, size);
                newHead = seq + 1;
            }
        }
        dropRange(newHead, DropReason.SPOOL_FULL);
    }

    private void expire(long cutoff) {
        long newHead = head;
        try (RocksIterator it = db.newIterator(entries)) {
            for (it.seek(key(head)); it.isValid(); it.next()) {
                byte[] value = it.value();
                if (SpoolEntry.receivedAtOf(value) >= cutoff) {
                    break;
                }
                long seq = seqOf(it.key());
                sizes.subtract(seq, value.length);
                newHead = seq + 1;
            }
        }
        dropRange(newHead, DropReason.EXPIRED);
    }

    private void dropRange(long newHead, DropReason reason) {
        if (newHead <= head) {
            return;
        }
        long from = head;
        try {
            dropHandler.beforeDrop(from, newHead, reason);
        } catch (RuntimeException e) {
            log.warn("spool drop handler failed", e);
        }
        try {
            db.deleteRange(entries, lazyWrite, key(from), key(newHead));
        } catch (RocksDBException e) {
            log.warn("spool drop failed: {}", e.getMessage());
        }
        for (Cursor c : cursors.values()) {
            if (c.position < newHead) {
                c.position = newHead;
                c.dirty = true;
            }
        }
        deletedSinceCompaction += newHead - from;
        head = newHead;
        bytes = sizes.total();
        log.atWarn().addKeyValue("reason", reason.tag()).log("spool dropped {} messages (sequence {} to {})",
                newHead - from, from, newHead - 1);
    }

    private void compactDeleted() {
        long upTo = head;
        Thread compactor = new Thread(() -> {
            lifecycle.readLock().lock();
            try {
                if (!closed) {
                    db.compactRange(entries, key(0), key(upTo));
                }
            } catch (RocksDBException e) {
                log.debug("spool compaction failed: {}", e.getMessage());
            } finally {
                lifecycle.readLock().unlock();
            }
        }, "spool-compactor");
        compactor.setDaemon(true);
        compactor.start();
    }

    private void addCursorUpdates(WriteBatch wb) throws RocksDBException {
        for (Map.Entry<String, Cursor> e : cursors.entrySet()) {
            Cursor c = e.getValue();
            if (c.dirty) {
                c.dirty = false;
                wb.put(meta, cursorKey(e.getKey()), key(c.position));
            }
        }
    }

    private void persistCursors(boolean sync) {
        try (WriteBatch wb = new WriteBatch()) {
            addCursorUpdates(wb);
            if (wb.count() > 0) {
                db.write(sync ? syncWrite : lazyWrite, wb);
            }
        } catch (RocksDBException e) {
            log.warn("could not persist spool cursors: {}", e.getMessage());
        }
    }

    // ---------------------------------------------------------------- recovery

    private Map<String, Long> loadCursors() {
        Map<String, Long> loaded = new ConcurrentHashMap<>();
        try (RocksIterator it = db.newIterator(meta)) {
            for (it.seek(CURSOR_PREFIX); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (!startsWith(k, CURSOR_PREFIX)) {
                    break;
                }
                String name = new String(k, CURSOR_PREFIX.length, k.length - CURSOR_PREFIX.length, StandardCharsets.UTF_8);
                loaded.put(name, seqOf(it.value()));
            }
        }
        return loaded;
    }

    /** Finds head and tail and rebuilds the size accounting from what is on disk. */
    private void recover() {
        long first = -1;
        long last = -1;
        ByteBuffer sizeProbe = ByteBuffer.allocateDirect(1);
        try (RocksIterator it = db.newIterator(entries)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                long seq = seqOf(it.key());
                sizeProbe.clear();
                sizes.add(seq, it.value(sizeProbe));
                if (first < 0) {
                    first = seq;
                }
                last = seq;
            }
        }
        long maxCursor = 1;
        for (long c : persistedCursors.values()) {
            maxCursor = Math.max(maxCursor, c);
        }
        next = Math.max(last + 1, maxCursor);
        head = first < 0 ? next : first;
        committed = next;
        published = next;
        bytes = sizes.total();
        if (first >= 0) {
            log.atInfo().addKeyValue("dir", config.dir())
                    .log("spool recovered {} stored messages ({} bytes), sequence {} to {}", last - first + 1,
                            bytes, first, last);
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
        lifecycle.writeLock().lock();
        try {
            closed = true;
            try {
                db.syncWal();
            } catch (RocksDBException e) {
                log.warn("spool WAL sync on close failed: {}", e.getMessage());
            }
            for (ColumnFamilyHandle h : handles) {
                h.close();
            }
            db.close();
            syncWrite.close();
            lazyWrite.close();
            dbOptions.close();
            cfOptions.close();
            blockCache.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
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

    private static byte[] cursorKey(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[CURSOR_PREFIX.length + n.length];
        System.arraycopy(CURSOR_PREFIX, 0, k, 0, CURSOR_PREFIX.length);
        System.arraycopy(n, 0, k, CURSOR_PREFIX.length, n.length);
        return k;
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        if (a.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (a[i] != prefix[i]) {
                return false;
            }
        }
        return true;
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

    /** Appends written together, waiting for the fsync that makes them durable. */
    private record Group(long next, List<Pending> entries, SpoolException failure) {
        static final Group STOP = new Group(-1, List.of(), null);
    }

    private static final class Cursor {
        volatile long position;
        volatile boolean dirty;

        Cursor(long position) {
            this.position = position;
        }
    }
}
