package io.edgebridge.core.internal.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.edgebridge.config.SpoolConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A spool whose disk fails (through the {@link DiskFaults} seam, so this runs anywhere; the real
 * thing on a full loop-mounted file system is {@code SpoolDiskFullFaultTest}): a failed write is a
 * state the spool leaves by itself, changes no count, loses no cursor move, and is logged once.
 */
@Timeout(60)
class SpoolWriteFailureTest {

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final FullDisk disk = new FullDisk();
    private final Logger spoolLog = (Logger) LoggerFactory.getLogger(Spool.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        lines.start();
        spoolLog.addAppender(lines);
    }

    @AfterEach
    void detachLog() {
        spoolLog.detachAppender(lines);
    }

    private Spool open() {
        return Spool.open(new SpoolConfig(dir.resolve("spool"), 1L << 30, Duration.ZERO,
                SpoolConfig.WhenFull.DROP_OLDEST), now::get, disk);
    }

    private static CompletableFuture<Long> append(Spool spool, String payload) {
        return spool.append(1, 1, false, "t/" + payload, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static List<Long> appendAll(Spool spool, int n, String prefix) throws Exception {
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(append(spool, prefix + i));
        }
        List<Long> seqs = new ArrayList<>();
        for (CompletableFuture<Long> f : futures) {
            seqs.add(f.get(10, TimeUnit.SECONDS));
        }
        return seqs;
    }

    private static List<SpoolEntry> readAll(Spool spool) {
        List<SpoolEntry> out = new ArrayList<>();
        long pos = spool.head();
        List<SpoolEntry> batch = new ArrayList<>();
        while (spool.read(pos, 1000, batch) > 0) {
            out.addAll(batch);
            pos = batch.get(batch.size() - 1).seq() + 1;
            batch.clear();
        }
        return out;
    }

    private long lines(Level level, String text) {
        return lines.list.stream().filter(e -> e.getLevel() == level && e.getFormattedMessage().contains(text)).count();
    }

    @Test
    void aFullDisk_refusesAppendsWithoutCountingThem_andTheSpoolAcceptsAgainByItselfOnceFreed() throws Exception {
        try (Spool spool = open()) {
            spool.openCursor("sink", spool.committed());
            List<Long> before = appendAll(spool, 100, "a");
            long committed = spool.committed();

            disk.fill();
            List<CompletableFuture<Long>> refused = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                refused.add(append(spool, "r" + i));
            }
            for (CompletableFuture<Long> f : refused) {
                assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(SpoolUnwritableException.class);
            }
            assertThat(spool.writable()).isFalse();
            assertThat(spool.writeProblem()).hasValueSatisfying(p -> assertThat(p)
                    .contains("cannot write to " + dir.resolve("spool")).contains("No space left on device"));
            assertThat(spool.writeFailures()).isPositive();
            // Nothing of the refused appends is counted, readable or given a sequence number.
            assertThat(spool.committed()).isEqualTo(committed);
            assertThat(spool.published()).isEqualTo(committed);
            assertThat(spool.entryCount()).isEqualTo(100);
            // No reopen while there is no room for it: the database stays readable meanwhile.
            await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> disk.reopens() == 0);
            assertThat(readAll(spool)).hasSize(100);

            disk.free();
            await().atMost(Duration.ofSeconds(5)).until(spool::writable);
            assertThat(disk.reopens()).as("RocksDB keeps a failed log write until reopened").isEqualTo(1);
            assertThat(spool.writeProblem()).isEmpty();
            long next = append(spool, "after").get(10, TimeUnit.SECONDS);
            assertThat(next).isEqualTo(before.get(99) + 1);
            assertThat(readAll(spool)).extracting(SpoolEntry::topic).hasSize(101).endsWith("t/a99", "t/after");
        }
        assertThat(lines(Level.ERROR, "spool cannot write to")).isEqualTo(1);
        assertThat(lines(Level.INFO, "spool can write to")).isEqualTo(1);
        assertThat(lines.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).count())
                .as("1,000 refusals: one ERROR line, a second at most if the retries crossed the interval")
                .isLessThanOrEqualTo(2);
    }

    @Test
    void aWriteErrorRocksDbRecoversFrom_needsNoReopen() throws Exception {
        try (Spool spool = open()) {
            appendAll(spool, 10, "a");
            disk.failNextWrites(1);
            assertThatThrownBy(() -> append(spool, "lost").get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SpoolUnwritableException.class);
            await().atMost(Duration.ofSeconds(5)).until(spool::writable);
            assertThat(append(spool, "b").get(10, TimeUnit.SECONDS)).isEqualTo(11);
            assertThat(disk.reopens()).isZero();
        }
    }

    @Test
    void cursorMovesMadeWhileTheSpoolCannotWrite_areSavedOnceItCan() throws Exception {
        long delivered;
        try (Spool spool = open()) {
            spool.openCursor("sink", spool.committed());
            List<Long> seqs = appendAll(spool, 300, "c");
            disk.fill();
            assertThatThrownBy(() -> append(spool, "refused").get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SpoolUnwritableException.class);
            delivered = seqs.get(299) + 1;
            spool.moveCursor("sink", delivered); // the sink delivered everything while the disk was full
            now.addAndGet(2000); // maintenance tries to save it, and fails
            await().atMost(Duration.ofSeconds(5)).until(() -> disk.failedWrites() >= 3);
            disk.free();
            await().atMost(Duration.ofSeconds(5)).until(spool::writable);
        }
        try (Spool spool = open()) {
            assertThat(spool.cursor("sink")).hasValue(delivered);
        }
    }

    @Test
    void aDeletedCursor_whoseDeletionFailed_isDeletedOnceTheSpoolCanWrite() throws Exception {
        try (Spool spool = open()) {
            spool.openCursor("gone", spool.committed());
            appendAll(spool, 10, "d");
            disk.fill();
            assertThatThrownBy(() -> append(spool, "refused").get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SpoolUnwritableException.class);
            spool.deleteCursor("gone");
            disk.free();
            await().atMost(Duration.ofSeconds(5)).until(spool::writable);
        }
        try (Spool spool = open()) {
            assertThat(spool.cursorNames()).doesNotContain("gone");
        }
    }

    @Test
    void closingWhileTheDiskIsStillFull_saysThatCursorPositionsWereNotSaved() throws Exception {
        Spool spool = open();
        spool.openCursor("sink", spool.committed());
        appendAll(spool, 10, "e");
        disk.fill();
        assertThatThrownBy(() -> append(spool, "refused").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(SpoolUnwritableException.class);
        spool.close();
        assertThat(lines(Level.ERROR, "could not save its cursor positions")).isEqualTo(1);
    }
}
