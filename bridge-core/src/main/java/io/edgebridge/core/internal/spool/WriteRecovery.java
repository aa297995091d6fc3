package io.edgebridge.core.internal.spool;

import java.util.Optional;
import java.util.function.LongSupplier;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the spool writing again after a failed write ({@link Writability} holds the state, the
 * backoff and what is logged). A retry first writes what the failure held back (head, cursor moves
 * and deletions) with an fsync on the open database: RocksDB recovers from some errors by itself.
 * If that fails, it reopens the database once there is room for it and no fsync is in progress,
 * which clears the error RocksDB keeps after a failed log write. Writer thread.
 */
final class WriteRecovery {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);

    private final SpoolStore store;
    private final Retention retention;
    private final Writability writability;
    private final LongSupplier clock;

    WriteRecovery(SpoolStore store, Retention retention, Writability writability, LongSupplier clock) {
        this.store = store;
        this.retention = retention;
        this.writability = writability;
        this.clock = clock;
    }

    /**
     * While the spool cannot write: tries to, if a retry is due (or {@code force}). {@code next} is
     * the next sequence number (entries from it on were never accepted); {@code syncing} whether
     * written groups wait for an fsync (the database is not reopened under them). Returns whether
     * the spool can write again.
     */
    boolean retry(boolean force, long next, boolean syncing) {
        if (!force && !writability.retryDue()) {
            return false;
        }
        if (store.isOpen()) {
            try {
                writeHeldBack(next);
                writability.recovered();
                return true;
            } catch (RocksDBException | SpoolException e) {
                writability.failed("trying to write again", e);
            }
        }
        Optional<String> blocker = syncing
                ? Optional.of("waiting for an fsync in progress before reopening the database")
                : store.reopenBlocker();
        if (blocker.isPresent()) {
            writability.retryLater(blocker.get());
            return false;
        }
        try {
            store.reopen();
            log.atInfo().addKeyValue("dir", store.dir()).log("spool database reopened to clear a write error");
            writeHeldBack(next);
            writability.recovered();
            return true;
        } catch (RocksDBException | SpoolException e) {
            writability.retryFailed(store.isOpen() ? "writing after reopening the database"
                    : "reopening the database", e);
            return false;
        }
    }

    /**
     * One synced write of everything a failure held back: removal of entries a failed write may have
     * left in the log after all (never acknowledged), the head, cursor moves and deletions, and a
     * marker so that something is written even when nothing was held back.
     */
    private void writeHeldBack(long next) throws RocksDBException {
        try (WriteBatch wb = new WriteBatch()) {
            store.removeFrom(wb, next);
            store.putRecoveryMark(wb, clock.getAsLong());
            retention.saveWith(wb, true);
        }
    }
}
