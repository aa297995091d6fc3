package io.edgebridge.core.internal.spool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.RocksDBException;

/**
 * Where a test can make the spool's disk fail (see {@code SpoolTest}): every write to the database
 * passes {@link #beforeWrite}, and the spool asks {@link #usableSpace} before it reopens the database
 * to recover from a failed write. Production uses {@link #NONE}, which fails nothing and asks the
 * file system.
 */
interface DiskFaults {

    DiskFaults NONE = new DiskFaults() {
    };

    /** Called before every write to the database (appends, cursors, deletions); throws to fail it. */
    default void beforeWrite() throws RocksDBException {
    }

    /** Called before every fsync of the write-ahead log; throws to fail it (as a write, by default). */
    default void beforeSync() throws RocksDBException {
        beforeWrite();
    }

    /** Bytes the spool may still write on the file system that holds {@code dir}. */
    default long usableSpace(Path dir) throws IOException {
        return Files.getFileStore(dir).getUsableSpace();
    }

    /** The database was closed and opened again (RocksDB clears a latched write error only then). */
    default void reopened() {
    }
}
