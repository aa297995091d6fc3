package io.edgebridge.core.internal.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.SpoolConfig;
import io.edgebridge.core.testing.LogCapture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class SpoolTest {

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_000_000);

    private SpoolConfig config(long maxBytes, Duration maxAge, SpoolConfig.WhenFull whenFull) {
        return new SpoolConfig(dir.resolve("spool"), maxBytes, maxAge, whenFull);
    }

    private SpoolConfig unlimited() {
        return config(1L << 40, Duration.ZERO, SpoolConfig.WhenFull.DROP_OLDEST);
    }

    private static byte[] record(long receivedAt, String topic, String payload) {
        return SpoolEntry.encode(receivedAt, 1, false, topic, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static CompletableFuture<Long> append(Spool spool, long receivedAt, String topic, String payload) {
        return spool.append(receivedAt, 1, false, topic, payload.getBytes(StandardCharsets.UTF_8));
    }

    private List<Long> appendAll(Spool spool, int n, String prefix) throws Exception {
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(append(spool, now.get(), "t/" + prefix + i, prefix + i));
        }
        List<Long> seqs = new ArrayList<>();
        for (CompletableFuture<Long> f : futures) {
            seqs.add(f.get(10, TimeUnit.SECONDS));
        }
        return seqs;
    }

    private static List<SpoolEntry> readAll(Spool spool, long from) {
        List<SpoolEntry> out = new ArrayList<>();
        long pos = from;
        while (true) {
            List<SpoolEntry> batch = new ArrayList<>();
            if (spool.read(pos, 1000, batch) == 0) {
                return out;
            }
            out.addAll(batch);
            pos = batch.get(batch.size() - 1).seq() + 1;
        }
    }

    @Test
    void append_assignsIncreasingSequenceNumbers_andEntriesReadBackIntact() throws Exception {
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            List<Long> seqs = appendAll(spool, 5000, "m");
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            List<SpoolEntry> read = readAll(spool, spool.head());
            assertThat(read).hasSize(5000);
            assertThat(read.get(42).topic()).isEqualTo("t/m42");
            assertThat(new String(read.get(42).payload(), StandardCharsets.UTF_8)).isEqualTo("m42");
            assertThat(read.get(42).qos()).isEqualTo(1);
            assertThat(read.get(42).receivedAt()).isEqualTo(now.get());
            assertThat(spool.entryCount()).isEqualTo(5000);
        }
    }

    @Test
    void entriesAreReadableAsSoonAsWritten_butAppendsCompleteOnlyOnceDurable() throws Exception {
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            List<CompletableFuture<Long>> futures = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<String> seenEarly = new java.util.concurrent.CopyOnWriteArrayList<>();
            // The listener runs when entries become visible (writer) and when they become durable (syncer).
            spool.onAppend(() -> {
                long published = spool.published();
                long committed = spool.committed();
                if (published > committed) {
                    List<SpoolEntry> visible = new ArrayList<>();
                    spool.read(committed, 1000, visible);
                    for (SpoolEntry e : visible) {
                        int index = (int) (e.seq() - 1);
                        // Not in the list yet means append() has not even returned: certainly pending.
                        boolean done = index < futures.size() && futures.get(index).isDone();
                        seenEarly.add(e.topic() + (done ? " done" : " pending"));
                    }
                }
            });
            for (int i = 0; i < 200; i++) {
                futures.add(append(spool, now.get(), "t/e" + i, "e" + i));
            }
            for (CompletableFuture<Long> f : futures) {
                long seq = f.get(10, TimeUnit.SECONDS);
                assertThat(spool.committed()).isGreaterThan(seq);
            }
            // Every entry was readable before its fsync, and none of those appends had completed yet.
            assertThat(seenEarly).hasSizeGreaterThanOrEqualTo(200).allMatch(s -> s.endsWith(" pending"));
            assertThat(seenEarly).contains("t/e0 pending", "t/e199 pending");
        }
    }

    @Test
    void reopen_keepsUndeliveredEntriesAndCursorPositions() throws Exception {
        long cursorAt;
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            spool.openCursor("a", spool.committed());
            List<Long> seqs = appendAll(spool, 1000, "x");
            cursorAt = seqs.get(600);
            spool.moveCursor("a", cursorAt);
        }
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            assertThat(spool.cursor("a")).hasValue(cursorAt);
            List<SpoolEntry> rest = readAll(spool, cursorAt);
            assertThat(rest).hasSize(400);
            assertThat(rest.get(0).topic()).isEqualTo("t/x600");
            // New appends continue after the old tail.
            List<Long> more = appendAll(spool, 10, "y");
            assertThat(more.get(0)).isGreaterThan(rest.get(rest.size() - 1).seq());
        }
    }

    /**
     * After a restart the bridge opens each sink's cursor only once that sink is started, which can
     * take longer than the first maintenance. Before the fix, reclaiming counted only the cursors
     * opened so far: it deleted, uncounted, the backlog of every sink not started yet (all of it while
     * none was).
     */
    @Test
    void storedCursors_pinTheSpoolUntilTheirSinksOpenThem_afterARestart() throws Exception {
        long behind;
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            spool.openCursor("fast", spool.committed());
            spool.openCursor("slow", spool.committed());
            List<Long> seqs = appendAll(spool, 1000, "b");
            spool.moveCursor("fast", spool.committed());
            behind = seqs.get(100);
            spool.moveCursor("slow", behind);
        }
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            now.addAndGet(2000); // maintenance is due before any sink is started
            append(spool, now.get(), "t/tick", "tick").get(10, TimeUnit.SECONDS);
            append(spool, now.get(), "t/tock", "tock").get(10, TimeUnit.SECONDS); // written after that maintenance
            assertThat(spool.head()).isLessThanOrEqualTo(behind);

            spool.openCursor("fast", spool.cursor("fast").orElseThrow()); // "fast" starts; "slow" not yet
            now.addAndGet(2000);
            append(spool, now.get(), "t/tick", "tick").get(10, TimeUnit.SECONDS);
            append(spool, now.get(), "t/tock", "tock").get(10, TimeUnit.SECONDS);
            assertThat(spool.head()).isLessThanOrEqualTo(behind);

            spool.openCursor("slow", spool.cursor("slow").orElseThrow());
            assertThat(readAll(spool, behind)).hasSize(900 + 4).first().extracting(SpoolEntry::topic)
                    .isEqualTo("t/b100");
        }
    }

    /** A cursor deleted (its sink was removed) no longer pins the spool, also before it was opened. */
    @Test
    void aStoredCursorDeletedBeforeItWasOpened_noLongerPinsTheSpool() throws Exception {
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            spool.openCursor("gone", spool.committed());
            appendAll(spool, 1000, "g");
        }
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            spool.deleteCursor("gone");
            now.addAndGet(2000);
            await().atMost(Duration.ofSeconds(10)).until(() -> spool.entryCount() == 0);
        }
    }

    @Test
    void entriesAllCursorsPassed_areReclaimed_butNotThoseAnyCursorStillNeeds() throws Exception {
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            spool.openCursor("fast", spool.committed());
            spool.openCursor("slow", spool.committed());
            List<Long> seqs = appendAll(spool, 3000, "r");
            spool.moveCursor("fast", seqs.get(2999) + 1);
            spool.moveCursor("slow", seqs.get(1000));
            now.addAndGet(2000);
            appendAll(spool, 1, "tick"); // wakes the writer for maintenance
            await().atMost(Duration.ofSeconds(10)).until(() -> spool.head() > seqs.get(0));
            assertThat(spool.head()).isLessThanOrEqualTo(seqs.get(1000));
            assertThat(readAll(spool, seqs.get(1000))).hasSize(2000 + 1);

            spool.moveCursor("slow", spool.committed());
            spool.moveCursor("fast", spool.committed());
            now.addAndGet(2000);
            await().atMost(Duration.ofSeconds(10)).until(() -> spool.entryCount() == 0);
            assertThat(spool.bytes()).isZero();
        }
    }

    @Test
    void dropOldest_whenFull_dropsFromTheHead_andTellsTheDropHandlerFirst() throws Exception {
        byte[] sample = record(now.get(), "t/d0", "d0");
        long maxBytes = sample.length * 100L;
        try (Spool spool = Spool.open(config(maxBytes, Duration.ZERO, SpoolConfig.WhenFull.DROP_OLDEST), now::get)) {
            spool.openCursor("sink", spool.committed());
            List<long[]> drops = new ArrayList<>();
            List<String> seenTopics = new ArrayList<>();
            spool.dropHandler((from, to, reason) -> {
                drops.add(new long[] {from, to});
                assertThat(reason).isEqualTo(DropReason.SPOOL_FULL);
                spool.scan(from, to, e -> seenTopics.add(e.topic()));
            });
            appendAll(spool, 250, "d");
            // The writer acknowledges a batch first and then enforces the limit.
            await().atMost(Duration.ofSeconds(10)).until(() -> spool.bytes() <= maxBytes);
            await().atMost(Duration.ofSeconds(10)).until(
                    () -> drops.stream().mapToLong(d -> d[1] - d[0]).sum() == 250 - spool.entryCount());
            long dropped = drops.stream().mapToLong(d -> d[1] - d[0]).sum();
            assertThat(dropped).isEqualTo(250 - spool.entryCount());
            assertThat(seenTopics).hasSize((int) dropped).startsWith("t/d0", "t/d1");
            List<SpoolEntry> kept = readAll(spool, spool.head());
            assertThat(kept.get(kept.size() - 1).topic()).isEqualTo("t/d249");
            assertThat(kept).hasSize((int) spool.entryCount());
        }
    }

    @Test
    void refuseNew_whenFull_failsNewAppends_andKeepsOldOnes() throws Exception {
        long maxBytes = 0;
        for (int i = 0; i < 50; i++) {
            maxBytes += record(now.get(), "t/f" + i, "f" + i).length;
        }
        try (Spool spool = Spool.open(config(maxBytes, Duration.ZERO, SpoolConfig.WhenFull.REFUSE_NEW), now::get)) {
            spool.openCursor("sink", spool.committed());
            appendAll(spool, 50, "f");
            CompletableFuture<Long> refused = append(spool, now.get(), "t/late", "late");
            assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SpoolFullException.class);
            assertThat(readAll(spool, spool.head())).hasSize(50);
            // Once the sink has delivered them there is room again.
            spool.moveCursor("sink", spool.committed());
            assertThat(append(spool, now.get(), "t/after", "after").get(10, TimeUnit.SECONDS)).isPositive();
        }
    }

    @Test
    void maxAge_dropsExpiredEntries_withReasonExpired() throws Exception {
        try (Spool spool = Spool.open(config(1L << 40, Duration.ofMinutes(1), SpoolConfig.WhenFull.DROP_OLDEST),
                now::get)) {
            spool.openCursor("sink", spool.committed());
            List<DropReason> reasons = new ArrayList<>();
            spool.dropHandler((from, to, reason) -> reasons.add(reason));
            appendAll(spool, 100, "old");
            now.addAndGet(Duration.ofMinutes(2).toMillis());
            appendAll(spool, 10, "new");
            await().atMost(Duration.ofSeconds(10)).until(() -> spool.entryCount() == 10);
            assertThat(reasons).containsOnly(DropReason.EXPIRED);
            assertThat(readAll(spool, 0)).extracting(SpoolEntry::topic).allMatch(t -> t.startsWith("t/new"));
        }
    }

    @Test
    void dropOldest_underAFlood_logsOneLinePerInterval_withTheCounts() throws Exception {
        byte[] sample = record(now.get(), "t/d0", "d0");
        try (LogCapture log = LogCapture.start();
                Spool spool = Spool.open(config(sample.length * 100L, Duration.ZERO, SpoolConfig.WhenFull.DROP_OLDEST),
                        now::get)) {
            spool.openCursor("sink", spool.committed());
            for (int round = 0; round < 200; round++) {
                appendAll(spool, 10, "d" + round + "-"); // each group of 10 makes the spool drop again
            }
            assertThat(spool.entryCount()).isLessThanOrEqualTo(100);
            List<String> drops = log.lines().stream().filter(l -> l.contains("spool dropped")).toList();
            assertThat(drops).as("about 190 drops in a few seconds").hasSize(1);
            assertThat(drops.get(0)).contains("messages (maxBytes " + sample.length * 100L + " reached");
        }
    }

    @Test
    void refuseNew_refusalsAreLogged_oncePerInterval_withTheCount() throws Exception {
        long maxBytes = 0;
        for (int i = 0; i < 50; i++) {
            maxBytes += record(now.get(), "t/f" + i, "f" + i).length;
        }
        try (LogCapture log = LogCapture.start();
                Spool spool = Spool.open(config(maxBytes, Duration.ZERO, SpoolConfig.WhenFull.REFUSE_NEW), now::get)) {
            spool.openCursor("sink", spool.committed());
            appendAll(spool, 50, "f");
            for (int i = 0; i < 300; i++) {
                CompletableFuture<Long> refused = append(spool, now.get(), "t/late" + i, "late");
                assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(SpoolFullException.class);
            }
            List<String> refusals = log.lines().stream().filter(l -> l.contains("refuse-new")).toList();
            assertThat(refusals).hasSize(1);
            assertThat(refusals.get(0)).contains("spool is full (maxBytes " + maxBytes + ", whenFull: refuse-new): refused");
        }
    }

    /**
     * {@code maxBytes} bounds the directory, not only the messages: RocksDB's log, write buffers and
     * other files are sized from it (before: 57 MB on disk for {@code maxBytes: 2MB}).
     */
    @Test
    void theSpoolDirectory_staysWithinTheDocumentedBoundOfMaxBytes() throws Exception {
        long maxBytes = 1L << 20;
        long bound = SpoolSizing.diskBound(maxBytes);
        java.util.Random random = new java.util.Random(7);
        long largest = 0;
        try (Spool spool = Spool.open(config(maxBytes, Duration.ZERO, SpoolConfig.WhenFull.DROP_OLDEST), now::get)) {
            spool.openCursor("sink", spool.committed()); // never moves: the cloud is down
            for (int round = 0; round < 40; round++) {
                List<CompletableFuture<Long>> window = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    byte[] payload = new byte[1000];
                    random.nextBytes(payload); // incompressible, the worst case
                    window.add(spool.append(now.get(), 1, false, "sensors/d" + i + "/telemetry", payload));
                }
                for (CompletableFuture<Long> f : window) {
                    f.get(10, TimeUnit.SECONDS);
                }
                largest = Math.max(largest, directorySize(dir.resolve("spool")));
            }
            assertThat(spool.bytes()).isLessThanOrEqualTo(maxBytes);
        }
        assertThat(largest).as("largest size of the spool directory for 8 MB written into maxBytes 1 MB")
                .isLessThanOrEqualTo(bound);
    }

    private static long directorySize(Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.list(dir)) {
            return files.mapToLong(f -> {
                try {
                    return java.nio.file.Files.size(f);
                } catch (java.io.IOException e) {
                    return 0; // deleted while listing
                }
            }).sum();
        }
    }

    @Test
    void reclaimedEntries_stayDeletedAfterAReopen() throws Exception {
        long reclaimedTo;
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            spool.openCursor("sink", spool.committed());
            List<Long> seqs = appendAll(spool, 2000, "h");
            spool.moveCursor("sink", seqs.get(1500));
            now.addAndGet(2000);
            await().atMost(Duration.ofSeconds(10)).until(() -> spool.head() > seqs.get(0));
            reclaimedTo = spool.head();
        }
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            assertThat(spool.head()).isEqualTo(reclaimedTo);
            assertThat(spool.entryCount()).isEqualTo(2000 - (reclaimedTo - 1));
            assertThat(readAll(spool, 0)).first().extracting(SpoolEntry::seq).isEqualTo(reclaimedTo);
        }
    }

    @Test
    void appendAfterClose_failsInsteadOfHanging() throws Exception {
        Spool spool = Spool.open(unlimited(), now::get);
        spool.close();
        assertThatThrownBy(() -> append(spool, 1, "t", "p").get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(SpoolException.class);
    }

    @Test
    void secondOpenOfTheSameDirectory_isRefusedWithAClearMessage() {
        try (Spool spool = Spool.open(unlimited(), now::get)) {
            assertThatThrownBy(() -> Spool.open(unlimited(), now::get))
                    .isInstanceOf(SpoolException.class)
                    .hasMessageContaining("in use");
        }
    }
}
