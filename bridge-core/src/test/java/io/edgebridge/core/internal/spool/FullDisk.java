package io.edgebridge.core.internal.spool;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/**
 * A disk that fills up as RocksDB sees it: while {@link #fill() full}, every write fails with
 * ENOSPC and no space is free; once a write failed, writes keep failing after {@link #free()} until
 * the database is reopened (RocksDB 8.3.3 latches a failed log write). {@link #failNextWrites} makes
 * a few writes fail without latching (an error RocksDB recovers from by itself).
 */
final class FullDisk implements DiskFaults {

    private volatile boolean full;
    private volatile boolean latched;
    private final AtomicInteger transientFailures = new AtomicInteger();
    private final AtomicInteger reopens = new AtomicInteger();
    private final AtomicInteger failedWrites = new AtomicInteger();

    void fill() {
        full = true;
    }

    void free() {
        full = false;
    }

    void failNextWrites(int n) {
        transientFailures.set(n);
    }

    int reopens() {
        return reopens.get();
    }

    int failedWrites() {
        return failedWrites.get();
    }

    @Override
    public void beforeWrite() throws RocksDBException {
        if (full || latched) {
            latched = true;
            throw noSpace();
        }
        if (transientFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw noSpace();
        }
    }

    private RocksDBException noSpace() {
        failedWrites.incrementAndGet();
        return new RocksDBException("While appending to file: 000004.log: No space left on device",
                new Status(Status.Code.IOError, Status.SubCode.NoSpace, "No space left on device"));
    }

    @Override
    public long usableSpace(Path dir) {
        return full ? 0 : 1L << 30;
    }

    @Override
    public void reopened() {
        reopens.incrementAndGet();
        if (!full) {
            latched = false;
        }
    }
}
