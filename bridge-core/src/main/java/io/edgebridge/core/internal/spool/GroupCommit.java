package io.edgebridge.core.internal.spool;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool's group commit and its {@code spool-writer} thread, which owns all mutation. The writer
 * takes whatever appends wait in a lock-free queue and writes them in one {@link WriteBatch} (with
 * the cursor moves) to RocksDB's write-ahead log, a {@code write()} without fsync; makes them visible
 * to readers (tail cache, {@link #published}); has {@link Retention} trim the spool to
 * {@code maxBytes}; and hands the group to the {@link GroupSyncer}, which fsyncs once for every group
 * that arrived meanwhile and only then completes their futures: nothing is acknowledged before it is
 * durable, and forwarding never waits for the disk.
 *
 * <p>A write that fails changes nothing readers or counts see (its sequence numbers are given out
 * again) and makes the spool unwritable: appends are refused, in order with the groups still waiting
 * for their fsync, until {@link WriteRecovery} gets it writing again. The writer also runs the
 * spool's maintenance once a second.
 */
final class GroupCommit {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);

    private static final int MAX_BATCH = 4096;
    private static final long MAINTENANCE_MS = 1000;

    private final SpoolStore store;
    private final SpoolCursors cursors;
    private final Writability writability;
    private final Retention retention;
    private final WriteRecovery recovery;
    private final TailCache tail;
    private final LongSupplier clock;
    /** A group stops at this many bytes, so one WAL record stays well below a write buffer. */
    private final long maxGroupBytes;

    /** Appends waiting for the writer; lock-free, the writer parks only when it is empty. */
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private volatile boolean writerParked;
    private final Thread writer;
    private final GroupSyncer syncer;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** One past the newest entry readers may see (it may not be durable yet). */
    private volatile long published;
    private volatile boolean closing;

    /** Writer-thread state: the next sequence number. */
    private long next;
    private long lastMaintenance;

    GroupCommit(SpoolStore store, SpoolCursors cursors, Writability writability, Retention retention,
            WriteRecovery recovery, TailCache tail, LongSupplier clock, long next) {
        this.store = store;
        this.cursors = cursors;
        this.writability = writability;
        this.retention = retention;
        this.recovery = recovery;
        this.tail = tail;
        this.clock = clock;
        this.maxGroupBytes = Math.max(64 * SpoolSizing.KB, store.sizing().writeBufferSize() / 2);
        this.next = next;
        this.published = next;
        this.lastMaintenance = clock.getAsLong();
        this.writer = new Thread(this::runWriter, "spool-writer");
        this.writer.setDaemon(true);
        this.syncer = new GroupSyncer(store, writability, next, this::notifyListeners);
    }

    void start() {
        syncer.start();
        writer.start();
    }

    /** See {@link Spool#append}. */
    CompletableFuture<Long> append(long receivedAt, int qos, boolean retain, String topic, byte[] payload) {
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

    long published() {
        return published;
    }

    /** One past the newest durable entry. */
    long committed() {
        return syncer.committed();
    }

    long commits() {
        return syncer.commits();
    }

    /** See {@link Spool#onAppend}. */
    void onAppend(Runnable listener) {
        listeners.add(listener);
    }

    void removeOnAppend(Runnable listener) {
        listeners.remove(listener);
    }

    /**
     * Stops accepting appends, writes what is queued, saves the cursors, syncs what was written and
     * stops both threads; appends left over fail.
     */
    void close() {
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
            if (!writer.isAlive()) {
                syncer.stop();
            }
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
    }

    private void failLeftovers() {
        Pending leftover;
        while ((leftover = queue.poll()) != null) {
            leftover.future.completeExceptionally(new SpoolException("spool closed"));
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
                    long batchBytes = first.record.length;
                    Pending more;
                    while (batch.size() < MAX_BATCH && batchBytes < maxGroupBytes && (more = queue.poll()) != null) {
                        batch.add(more);
                        batchBytes += more.record.length;
                    }
                    write(batch, batchBytes);
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
                    canWrite(false);
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

    private void write(List<Pending> batch, long batchBytes) {
        if (!canWrite(false)) {
            refuse(batch); // without touching the disk
            return;
        }
        retention.makeRoom(batchBytes, syncer.committed(), next);
        List<Pending> accepted = new ArrayList<>(batch.size());
        long acceptedBytes = 0;
        int full = 0;
        SpoolFullException fullFailure = null;
        long seq = next;
        try (WriteBatch wb = new WriteBatch()) {
            for (Pending p : batch) {
                if (!retention.fits(acceptedBytes + p.record.length)) {
                    fullFailure = fullFailure != null ? fullFailure : retention.fullRefusal();
                    p.future.completeExceptionally(fullFailure);
                    full++;
                    continue;
                }
                p.seq = seq++;
                store.putEntry(wb, p.seq, p.record);
                acceptedBytes += p.record.length;
                accepted.add(p);
            }
            if (full > 0) {
                retention.refusedFull(full);
            }
            if (accepted.isEmpty()) {
                return;
            }
            cursors.writeWith(wb, store.meta(), written -> store.write(written, false));
        } catch (RocksDBException | SpoolException e) {
            // Not stored, so nothing changes: the sequence numbers are given out again, readers and
            // counts never see these entries, and the devices get no acknowledgement.
            List<Pending> notStored = batch.stream().filter(p -> !p.future.isDone()).toList();
            writability.failed("writing " + notStored.size() + " messages", e);
            refuse(notStored);
            return;
        }
        next = seq;
        for (Pending p : accepted) {
            tail.add(new SpoolEntry(p.seq, p.receivedAt, p.qos, p.retain, p.topic, p.payload));
            retention.stored(p.seq, p.record.length);
        }
        // Readers may forward these now; only the devices' acknowledgements wait for the fsync.
        published = next;
        notifyListeners();
        // Trim before the group is handed to the syncer: once an append completes, the spool is back within maxBytes.
        retention.trim(syncer.committed(), next);
        syncer.handOver(new Group(next, accepted, null));
    }

    /** Refuses appends because the spool cannot write; in order with the groups waiting for their fsync. */
    private void refuse(List<Pending> entries) {
        writability.refused(entries.size());
        syncer.handOver(new Group(next, List.copyOf(entries), writability.refusal()));
    }

    /** Whether the spool can write; while it cannot, tries to when a retry is due (or {@code force}). */
    private boolean canWrite(boolean force) {
        if (writability.writable()) {
            return true;
        }
        if (!recovery.retry(force, next, syncer.busy())) {
            return false;
        }
        lastMaintenance = 0; // reclaim, expire and release files at once
        notifyListeners(); // readers that found the database closed read again
        return true;
    }

    private void maintain(long now) {
        writability.flush();
        retention.flushNotices();
        if (canWrite(false)) {
            retention.maintain(now, syncer.committed(), next);
        }
    }

    /** Before the writer stops: one more try to write, then the cursors, so a restart resends little. */
    private void finishWriting() {
        if (canWrite(true)) {
            retention.save(true);
        }
        writability.problem().ifPresent(problem -> log.atError().addKeyValue("dir", store.dir())
                .log("spool could not save its cursor positions before closing ({}): after a restart, sinks resume"
                        + " from the positions saved last and send again what they delivered since", problem));
    }

    private void notifyListeners() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("spool listener failed", e);
            }
        }
    }

    /** One append, from the caller to the syncer. */
    static final class Pending {
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
    record Group(long next, List<Pending> entries, SpoolException failure) {
        static final Group STOP = new Group(-1, List.of(), null);
    }
}
