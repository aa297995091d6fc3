package io.edgebridge.core.internal.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.SpoolConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool while written groups wait for their fsync (held here through {@link DiskFaults#beforeSync}):
 * readers already see those entries, the durable end ({@code committed}) lags behind, and reclaiming
 * and trimming must still account for every entry that is stored.
 */
@Timeout(60)
class SpoolUnsyncedGroupsTest {

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final HeldSync sync = new HeldSync();
    private Spool spool;

    @AfterEach
    void close() {
        sync.release(); // first: closing waits for the fsyncs
        if (spool != null) {
            spool.close();
        }
    }

    private Spool open(long maxBytes) {
        spool = Spool.open(new SpoolConfig(dir.resolve("spool"), maxBytes, Duration.ZERO,
                SpoolConfig.WhenFull.DROP_OLDEST), now::get, sync);
        return spool;
    }

    /** Every record has the same size: topic and payload are numbered with four digits. */
    private static byte[] record(int i) {
        String n = String.format("%04d", i);
        return SpoolEntry.encode(1, 1, false, "t/" + n, n.getBytes(StandardCharsets.UTF_8));
    }

    private static CompletableFuture<Long> append(Spool spool, int i) {
        String n = String.format("%04d", i);
        return spool.append(1, 1, false, "t/" + n, n.getBytes(StandardCharsets.UTF_8));
    }

    private static List<CompletableFuture<Long>> appendAll(Spool spool, int from, int to) {
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        for (int i = from; i < to; i++) {
            futures.add(append(spool, i));
        }
        return futures;
    }

    private static void awaitAll(List<CompletableFuture<Long>> futures) throws Exception {
        for (CompletableFuture<Long> f : futures) {
            f.get(10, TimeUnit.SECONDS);
        }
    }

    /** The bytes of every entry a reader finds, from the head on. */
    private static long storedBytes(Spool spool) {
        long total = 0;
        long pos = spool.head();
        List<SpoolEntry> batch = new ArrayList<>();
        while (spool.read(pos, 1000, batch) > 0) {
            for (SpoolEntry e : batch) {
                total += SpoolEntry.encode(e.receivedAt(), e.qos(), e.retain(), e.topic(), e.payload()).length;
            }
            pos = batch.get(batch.size() - 1).seq() + 1;
            batch.clear();
        }
        return total;
    }

    /**
     * Before the fix, a reclaim that found every cursor at the durable end dropped the accounting of
     * the whole chunk holding it, with the entries written after it that still waited for their fsync:
     * the spool undercounted its bytes, and a later drop-oldest that reached those entries failed with
     * "sequence outside the spool", and with it every append from then on.
     */
    @Test
    void reclaimWhileAGroupWaitsForItsFsync_keepsCountingThatGroup_andDropOldestKeepsWorking() throws Exception {
        long maxBytes = 400L * record(0).length;
        open(maxBytes);
        spool.openCursor("sink", spool.committed());
        awaitAll(appendAll(spool, 0, 250)); // sequence numbers 1 to 250, durable
        spool.moveCursor("sink", spool.committed()); // the sink delivered all of them

        sync.hold();
        List<CompletableFuture<Long>> unsynced = appendAll(spool, 250, 260); // 251 to 260: chunk 0 and 1
        await().atMost(Duration.ofSeconds(10)).until(() -> spool.published() == 261);
        now.addAndGet(2000); // maintenance is due: it reclaims while 251 to 260 wait for their fsync
        unsynced.add(append(spool, 260));
        await().atMost(Duration.ofSeconds(10)).until(() -> spool.published() == 262);
        unsynced.add(append(spool, 261)); // seq 262: written after the maintenance that followed 261
        await().atMost(Duration.ofSeconds(10)).until(() -> spool.published() == 263);
        sync.release();
        awaitAll(unsynced);
        assertThat(spool.bytes()).isEqualTo(storedBytes(spool));

        // The sink stalls from here on: the spool fills up and drops its oldest entries.
        awaitAll(appendAll(spool, 262, 600));
        assertThat(spool.bytes()).isLessThanOrEqualTo(maxBytes).isEqualTo(storedBytes(spool));
        assertThat(spool.committed()).isEqualTo(601);
    }

    /** Before the fix, a drop-oldest that reached into groups not yet durable made the count negative. */
    @Test
    void entryCount_isNeverNegative_whenDropOldestTrimsEntriesNotYetDurable() throws Exception {
        long maxBytes = 100L * record(0).length;
        open(maxBytes);
        spool.openCursor("sink", spool.committed());
        sync.hold();
        List<CompletableFuture<Long>> futures = appendAll(spool, 0, 300);
        await().atMost(Duration.ofSeconds(10)).until(() -> spool.published() == 301 && spool.head() > 1
                && spool.bytes() <= maxBytes);
        assertThat(spool.committed()).isEqualTo(1);
        assertThat(spool.entryCount()).isZero();

        sync.release();
        awaitAll(futures);
        assertThat(spool.entryCount()).isEqualTo(spool.committed() - spool.head()).isBetween(1L, 100L);
    }

    /** Holds every fsync of the write-ahead log while {@link #hold() held}; writes go through. */
    private static final class HeldSync implements DiskFaults {

        private volatile CountDownLatch gate = new CountDownLatch(0);

        void hold() {
            gate = new CountDownLatch(1);
        }

        void release() {
            gate.countDown();
        }

        @Override
        public void beforeSync() {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
