package io.edgebridge.core.internal.spool;

import io.edgebridge.core.internal.spool.GroupCommit.Group;
import io.edgebridge.core.internal.spool.GroupCommit.Pending;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.rocksdb.RocksDBException;

/**
 * The second half of the group commit, on the {@code spool-syncer} thread: makes written groups
 * durable with one fsync of the write-ahead log for every group waiting (RocksDB lets the writer keep
 * writing meanwhile), then completes their appends, in order with the groups refused meanwhile. A
 * failed fsync makes the spool unwritable; its groups stay readable, their appends fail.
 */
final class GroupSyncer {

    private final SpoolStore store;
    private final Writability writability;
    /** Told when groups became durable (or were refused). */
    private final Runnable onCompleted;
    /**
     * Groups written by the writer and waiting for their fsync. Not bounded here: what waits is bounded
     * by the appenders (devices wait for acknowledgements; QoS 0 intake is shed when too much waits),
     * and a slow fsync must never stall the writer and with it forwarding.
     */
    private final BlockingQueue<Group> unsynced = new LinkedBlockingQueue<>();
    /** Written groups handed over and not synced yet; the database is reopened only at zero. */
    private final AtomicInteger syncing = new AtomicInteger();
    private final Thread thread;
    /** One past the newest durable entry. */
    private volatile long committed;
    private volatile long commits;

    GroupSyncer(SpoolStore store, Writability writability, long committed, Runnable onCompleted) {
        this.store = store;
        this.writability = writability;
        this.committed = committed;
        this.onCompleted = onCompleted;
        this.thread = new Thread(this::run, "spool-syncer");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    long committed() {
        return committed;
    }

    long commits() {
        return commits;
    }

    /** Whether written groups wait for their fsync. */
    boolean busy() {
        return syncing.get() > 0;
    }

    /** Takes over a group from the writer: only this completes its appends from now on (writer thread). */
    void handOver(Group group) {
        for (Pending p : group.entries()) {
            p.handedOver = true;
        }
        if (group.failure() == null) {
            syncing.incrementAndGet();
        }
        try {
            unsynced.put(group);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (group.failure() == null) {
                syncing.decrementAndGet();
            }
            SpoolException failure = new SpoolException("spool writer interrupted");
            for (Pending p : group.entries()) {
                p.future.completeExceptionally(failure);
            }
        }
    }

    /** Completes what was handed over and stops; call once the writer stopped. */
    void stop() throws InterruptedException {
        unsynced.put(Group.STOP);
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }

    private void run() {
        List<Group> groups = new ArrayList<>();
        while (true) {
            try {
                groups.add(unsynced.take());
            } catch (InterruptedException e) {
                break; // nothing interrupts this thread; stop() hands over STOP instead
            }
            unsynced.drainTo(groups);
            boolean stop = groups.get(groups.size() - 1) == Group.STOP;
            if (stop) {
                groups.remove(groups.size() - 1);
            }
            SpoolException syncFailure = null;
            if (groups.stream().anyMatch(g -> g.failure() == null)) {
                try {
                    store.syncWal();
                    commits++;
                } catch (RocksDBException | RuntimeException e) {
                    writability.failed("syncing the write-ahead log", e);
                    writability.refused(groups.stream().filter(g -> g.failure() == null)
                            .mapToInt(g -> g.entries().size()).sum());
                    syncFailure = writability.refusal();
                }
            }
            for (Group g : groups) {
                if (g.failure() == null) {
                    // Written, so readable even when the fsync failed; its devices are not acknowledged.
                    committed = g.next();
                }
                SpoolException failure = g.failure() != null ? g.failure() : syncFailure;
                for (Pending p : g.entries()) {
                    if (failure == null) {
                        p.future.complete(p.seq);
                    } else {
                        p.future.completeExceptionally(failure);
                    }
                }
            }
            syncing.addAndGet(-(int) groups.stream().filter(g -> g.failure() == null).count());
            groups.clear();
            onCompleted.run();
            if (stop) {
                return;
            }
        }
    }
}
