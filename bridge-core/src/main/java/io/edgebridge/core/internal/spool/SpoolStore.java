package io.edgebridge.core.internal.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
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

/**
 * The spool's RocksDB database: column family {@code default} holds the entries keyed by their 8-byte
 * big-endian sequence number, {@code meta} the cursors and the head. Every read and write of the
 * database goes through here (writes also through {@link DiskFaults}), and so does reopening,
 * which is how the spool recovers from a failed write: after a write-ahead-log write fails, RocksDB
 * 8.3.3 refuses every later write ("Writer has previous error") until the database is opened again
 * (its own automatic recovery waits for a write buffer's worth of free space and does not cover
 * log writes; rocksdbjni has no {@code Resume()}).
 *
 * <p>Threads: writes and {@link #reopen} come from the spool's writer thread only, as do the
 * methods marked for it; other threads (readers, the syncer) go through methods that hold the read
 * lock while they use the database, so a reopen never closes it under them. While a reopen failed,
 * {@link #isOpen()} is false.
 */
final class SpoolStore implements AutoCloseable {

    private static final byte[] META = "meta".getBytes(StandardCharsets.UTF_8);
    /** The head: entries below it are deleted, whether or not their files are gone yet. */
    private static final byte[] HEAD_KEY = "spool:head".getBytes(StandardCharsets.UTF_8);
    /** Written by every recovery attempt, so that the attempt writes something even when no cursor moved. */
    private static final byte[] RECOVERY_KEY = "spool:recovered-at".getBytes(StandardCharsets.UTF_8);
    /** Room a reopen needs besides the memtables it writes out: a new log, MANIFEST, OPTIONS and info log. */
    private static final long REOPEN_MARGIN = 512 * 1024;
    /** The start of a value: the size of an entry and its receipt time, without copying the rest. */
    private static final int PROBE_BYTES = SpoolEntry.RECEIVED_AT_END;

    private final Path dir;
    private final SpoolSizing sizing;
    private final DiskFaults faults;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final LRUCache blockCache;
    private final WriteOptions syncWrite = new WriteOptions().setSync(true);
    private final WriteOptions lazyWrite = new WriteOptions().setSync(false);
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    private volatile RocksDB db;
    private volatile ColumnFamilyHandle entries;
    private volatile ColumnFamilyHandle meta;
    private List<ColumnFamilyHandle> handles = List.of();
    /** Set under the write lock by {@link #close()}: readers that take the lock later are refused. */
    private volatile boolean closed;

    private SpoolStore(Path dir, SpoolSizing sizing, DiskFaults faults) {
        this.dir = dir;
        this.sizing = sizing;
        this.faults = faults;
        this.dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL);
        this.blockCache = new LRUCache(8L << 20);
        this.cfOptions = new ColumnFamilyOptions()
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
        sizing.applyTo(dbOptions, cfOptions);
    }

    /** Opens (or creates) the database in {@code dir}. */
    static SpoolStore open(Path dir, SpoolSizing sizing, DiskFaults faults) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SpoolException("cannot create spool directory " + dir + ": " + e.getMessage(), e);
        }
        RocksDB.loadLibrary();
        SpoolStore store = new SpoolStore(dir, sizing, faults);
        try {
            store.openDatabase();
            return store;
        } catch (SpoolException e) {
            store.releaseOptions();
            throw e;
        }
    }

    private void openDatabase() {
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor(META, cfOptions));
        List<ColumnFamilyHandle> opened = new ArrayList<>();
        try {
            RocksDB database = RocksDB.open(dbOptions, dir.toString(), descriptors, opened);
            handles = opened;
            entries = opened.get(0);
            meta = opened.get(1);
            db = database;
        } catch (RocksDBException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("lock")) {
                throw new SpoolException("spool directory " + dir + " is in use by another process", e);
            }
            throw new SpoolException("cannot open spool in " + dir + ": " + msg, e);
        }
    }

    Path dir() {
        return dir;
    }

    SpoolSizing sizing() {
        return sizing;
    }

    /** False only while a reopen failed (and after {@link #close()}). */
    boolean isOpen() {
        return db != null;
    }

    /** The open database; throws while it is not open. */
    RocksDB db() {
        RocksDB current = db;
        if (current == null) {
            throw new SpoolException("spool database in " + dir + " is not open");
        }
        return current;
    }

    ColumnFamilyHandle meta() {
        return meta;
    }

    /** Writes {@code batch} to the write-ahead log (with an fsync when {@code sync}) and the memtables. */
    void write(WriteBatch batch, boolean sync) throws RocksDBException {
        faults.beforeWrite();
        db().write(sync ? syncWrite : lazyWrite, batch);
    }

    /** Fsyncs the write-ahead log. Any thread; takes the read lock. */
    void syncWal() throws RocksDBException {
        lock.readLock().lock();
        try {
            faults.beforeSync();
            db().syncWal();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Deletes the entry files whose keys are all below {@code end} (writer thread). Metadata only:
     * files on level 0 stay until compaction moves them down (without rewriting them).
     */
    void deleteFilesBelow(byte[] end) throws RocksDBException {
        faults.beforeWrite();
        db().deleteFilesInRanges(entries, List.of(new byte[8], end), false);
    }

    // ---------------------------------------------------------------- keys and batches

    static byte[] key(long seq) {
        return ByteBuffer.allocate(8).putLong(seq).array();
    }

    static long seqOf(byte[] key) {
        return ByteBuffer.wrap(key).getLong();
    }

    void putEntry(WriteBatch wb, long seq, byte[] record) throws RocksDBException {
        wb.put(entries, key(seq), record);
    }

    void putHead(WriteBatch wb, long head) throws RocksDBException {
        wb.put(meta, HEAD_KEY, key(head));
    }

    void putRecoveryMark(WriteBatch wb, long now) throws RocksDBException {
        wb.put(meta, RECOVERY_KEY, key(now));
    }

    /** Adds to {@code wb} the removal of every stored entry from {@code seq} on (writer thread). */
    void removeFrom(WriteBatch wb, long seq) throws RocksDBException {
        long last = lastSeq();
        if (last >= seq) {
            wb.deleteRange(entries, key(seq), key(last + 1));
        }
    }

    // ---------------------------------------------------------------- reading

    /** The head an earlier run saved, 0 if none (at open). */
    long storedHead() {
        try {
            byte[] value = db().get(meta, HEAD_KEY);
            return value == null ? 0 : seqOf(value);
        } catch (RocksDBException e) {
            throw new SpoolException("cannot read the spool's head in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The highest stored sequence number, 0 if none (writer thread, or at open). */
    long lastSeq() {
        try (RocksIterator it = db().newIterator(entries)) {
            it.seekToLast();
            return it.isValid() ? seqOf(it.key()) : 0;
        }
    }

    /**
     * Reads up to {@code max} entries with {@code from <= seq < to}, in order, into {@code out}; none
     * while the database is being reopened or failed to reopen. Any thread.
     */
    int read(long from, long to, int max, List<SpoolEntry> out) {
        lock.readLock().lock();
        try {
            ensureNotClosed();
            return isOpen() ? decode(from, to, max, out::add) : 0;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Visits every entry with {@code from <= seq < to}, in order; throws while the database is not open. */
    void scan(long from, long to, Consumer<SpoolEntry> visitor) {
        lock.readLock().lock();
        try {
            ensureNotClosed();
            decode(from, to, Integer.MAX_VALUE, visitor);
        } finally {
            lock.readLock().unlock();
        }
    }

    private int decode(long from, long to, int max, Consumer<SpoolEntry> visitor) {
        int n = 0;
        try (Slice upper = new Slice(key(to));
                ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
                RocksIterator it = db().newIterator(entries, options)) {
            for (it.seek(key(from)); it.isValid() && n < max; it.next()) {
                visitor.accept(SpoolEntry.decode(seqOf(it.key()), it.value()));
                n++;
            }
        }
        return n;
    }

    /**
     * Visits the entries from {@code from} on, in order, with their size and receipt time (without
     * copying them), while {@code visitor} returns true (writer thread, or at open).
     */
    void visitSizes(long from, SizeVisitor visitor) {
        ByteBuffer probe = ByteBuffer.allocateDirect(PROBE_BYTES);
        try (RocksIterator it = db().newIterator(entries)) {
            for (it.seek(key(from)); it.isValid(); it.next()) {
                probe.clear();
                int size = it.value(probe);
                if (!visitor.visit(seqOf(it.key()), size, SpoolEntry.receivedAtOf(probe))) {
                    return;
                }
            }
        }
    }

    /** One stored entry, as {@link #visitSizes} sees it. */
    @FunctionalInterface
    interface SizeVisitor {
        /** Returns whether to go on with the next entry. */
        boolean visit(long seq, int size, long receivedAt);
    }

    // ---------------------------------------------------------------- recovering from a failed write

    /** Why the database cannot be reopened now (no room for what reopening writes), if it cannot. */
    Optional<String> reopenBlocker() {
        // Opening writes the memtables out as SST files; while closed, assume they were full.
        long memtables = 2L * SpoolSizing.MAX_WRITE_BUFFERS * sizing.writeBufferSize();
        try {
            if (isOpen()) {
                RocksDB current = db();
                memtables = current.getLongProperty(entries, "rocksdb.cur-size-all-mem-tables")
                        + current.getLongProperty(meta, "rocksdb.cur-size-all-mem-tables");
            }
            long needed = REOPEN_MARGIN + memtables + memtables / 10;
            long usable = faults.usableSpace(dir);
            if (usable < needed) {
                return Optional.of("disk full: " + usable + " bytes free, reopening the database needs " + needed);
            }
        } catch (RocksDBException | IOException | RuntimeException e) {
            return Optional.of("cannot tell the free disk space: " + e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * Closes and opens the database again (writer thread). What the write-ahead log holds is
     * recovered, a torn last record is dropped. If opening fails, the store stays closed
     * ({@link #isOpen()} false) and the next reopen tries again.
     */
    void reopen() {
        lock.writeLock().lock();
        try {
            closeDatabase();
            openDatabase();
            faults.reopened();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Closes everything; call once the writer and syncer stopped. Readers are refused from then on. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            closed = true;
            closeDatabase();
            releaseOptions();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void closeDatabase() {
        RocksDB current = db;
        if (current == null) {
            return;
        }
        db = null;
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        handles = List.of();
        entries = null;
        meta = null;
        current.close();
    }

    private void ensureNotClosed() {
        if (closed) {
            throw new SpoolException("spool is closed");
        }
    }

    private void releaseOptions() {
        syncWrite.close();
        lazyWrite.close();
        dbOptions.close();
        cfOptions.close();
        blockCache.close();
    }
}
