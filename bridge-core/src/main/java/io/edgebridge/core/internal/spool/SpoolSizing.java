package io.edgebridge.core.internal.spool;

import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;

/**
 * RocksDB's own files sized from {@code spool.maxBytes}, so that the spool directory stays within
 * {@link #diskBound(long)}: {@code maxBytes} of messages plus a quarter of it, plus 1 MB.
 *
 * <p>Besides the messages, RocksDB keeps a write-ahead log with the data of the memtables not yet
 * flushed, flushed files that still hold entries below the spool's head until they are released
 * (see {@code Retention.releaseDeadFiles}), a MANIFEST, an info log and OPTIONS files. With fixed 16 MB
 * write buffers, a 64 MB WAL limit, 4 MB of MANIFEST preallocation and preallocated log files,
 * {@code maxBytes: 2MB} took 57 MB on disk. Here the write buffer is 1/32 of {@code maxBytes} (64 KB
 * to 16 MB) and everything else follows from it; files are not preallocated, so what they hold is
 * what they take.
 *
 * @param writeBufferSize one memtable (per column family); a flush writes it to an SST file
 * @param maxTotalWalSize WAL bytes after which RocksDB flushes the memtables that hold the oldest log
 * @param infoLogSize     size of one info LOG file (two old ones are kept)
 * @param manifestSize    size after which RocksDB starts a new MANIFEST
 */
record SpoolSizing(long writeBufferSize, long maxTotalWalSize, long infoLogSize, long manifestSize) {

    static final long KB = 1024;
    static final long MB = 1024 * KB;
    /** RocksDB preallocates 4 MB for a MANIFEST by default; it grows by ~100 bytes per flush. */
    static final long MANIFEST_PREALLOCATION = 64 * KB;
    static final int MAX_WRITE_BUFFERS = 3;
    static final int INFO_LOGS_KEPT = 2;
    /**
     * Level-0 files are moved to level 1 (without a rewrite: the spool's files never overlap) once
     * there are this many; only files on level 1 and below can be released.
     */
    static final int LEVEL0_FILES = 2;

    /** The sizing for {@code maxBytes}. */
    static SpoolSizing of(long maxBytes) {
        long writeBuffer = clamp(maxBytes / 32, 64 * KB, 16 * MB);
        return new SpoolSizing(writeBuffer, 2 * writeBuffer, clamp(maxBytes / 32, 16 * KB, MB),
                clamp(maxBytes / 32, 64 * KB, 4 * MB));
    }

    /**
     * What the spool directory takes at most for {@code maxBytes} of messages: the messages as SST
     * files (a few percent more than their bytes when they do not compress), and up to about eight
     * write buffers (a quarter of {@code maxBytes} at most) of write-ahead log, memtables being
     * flushed, level-0 files and released-but-referenced files, plus info logs, MANIFEST and OPTIONS
     * files (1 MB at most). Measured on ext4 with incompressible 1 KB messages written as fast as the
     * disk takes them: 2.9 MB for 2 MB, 81 MB for 64 MB.
     */
    static long diskBound(long maxBytes) {
        return maxBytes + maxBytes / 4 + MB;
    }

    void applyTo(DBOptions db, ColumnFamilyOptions columnFamily) {
        db.setMaxTotalWalSize(maxTotalWalSize)
                .setMaxLogFileSize(infoLogSize)
                .setKeepLogFileNum(INFO_LOGS_KEPT)
                .setMaxManifestFileSize(manifestSize)
                .setManifestPreallocationSize(MANIFEST_PREALLOCATION)
                .setAllowFAllocate(false);
        columnFamily.setWriteBufferSize(writeBufferSize)
                .setMaxWriteBufferNumber(MAX_WRITE_BUFFERS)
                .setLevel0FileNumCompactionTrigger(LEVEL0_FILES);
    }

    private static long clamp(long value, long min, long max) {
        return Math.max(min, Math.min(max, value));
    }
}
