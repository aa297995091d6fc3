package io.edgebridge.core.internal.spool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The spool's RocksDB database: column family {@code default} holds the entries, {@code meta} the
 * cursors. Every write goes through here (and through {@link DiskFaults}), and so does reopening,
 * which is how the spool recovers from a failed write: after a write-ahead-log write fails, RocksDB
 * 8.3.3 refuses every later write ("Writer has previous error") until the database is opened again
 * (its own automatic recovery waits for a write buffer's worth of free space and does not cover
 * log writes; rocksdbjni has no {@code Resume()}).
 *
 * <p>Threads: writes and {@link #reopen} come from the spool's writer thread only; other threads
 * (readers, the syncer, compaction) hold {@link #readLock()} while they use {@link #db()}, so a
 * reopen never closes the database under them. While a reopen failed, {@link #isOpen()} is false.
 */
final class SpoolStore implements AutoCloseable {

    private static final byte[] META = "meta".getBytes(StandardCharsets.UTF_8);

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

    ColumnFamilyHandle entries() {
        return entries;
    }

    ColumnFamilyHandle meta() {
        return meta;
    }

    /** Held by threads other than the writer while they use {@link #db()}. */
    Lock readLock() {
        return lock.readLock();
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

    /** Bytes in the memtables, which a reopen writes out as SST files. */
    long memtableBytes() throws RocksDBException {
        RocksDB current = db();
        return current.getLongProperty(entries, "rocksdb.cur-size-all-mem-tables")
                + current.getLongProperty(meta, "rocksdb.cur-size-all-mem-tables");
    }

    long usableSpace() throws IOException {
        return faults.usableSpace(dir);
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

    /** Syncs what can be synced and closes everything; call once the writer and syncer stopped. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
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

    private void releaseOptions() {
        syncWrite.close();
        lazyWrite.close();
        dbOptions.close();
        cfOptions.close();
        blockCache.close();
    }
}
