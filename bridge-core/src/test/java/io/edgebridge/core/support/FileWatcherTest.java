package io.edgebridge.core.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.LogCapture;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FileWatcherTest {

    @TempDir
    Path dir;

    private Path a;
    private Path b;
    private final List<FileWatcher.Change> changes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void files() throws IOException {
        a = Files.writeString(dir.resolve("a.txt"), "one");
        b = Files.writeString(dir.resolve("b.txt"), "two");
    }

    private FileWatcher.Builder watching(Path... files) {
        FileWatcher.Builder builder = FileWatcher.builder("test files").onChange(change -> changes.add(change));
        for (Path file : files) {
            builder.watch(file);
        }
        return builder;
    }

    /** A watcher whose first state is taken as handled. */
    private FileWatcher started(Path... files) {
        FileWatcher watcher = watching(files).build();
        watcher.checkNow();
        changes.clear();
        return watcher;
    }

    @Test
    void checkNow_aFileNeverSeen_isReportedOnce() {
        FileWatcher watcher = watching(a, b).build();

        watcher.checkNow();
        watcher.checkNow();

        assertThat(changes).singleElement().satisfies(c -> assertThat(c.changed()).containsExactly(a, b));
    }

    @Test
    void checkNow_aChangedFile_isReportedWithItsNewFingerprint() throws Exception {
        FileWatcher watcher = started(a, b);
        String before = FileWatcher.Fingerprint.CONTENT.of(a);

        Files.writeString(a, "one, changed");
        watcher.checkNow();

        assertThat(changes).singleElement().satisfies(c -> {
            assertThat(c.changed()).containsExactly(a);
            assertThat(c.fingerprint(a)).isEqualTo(FileWatcher.Fingerprint.CONTENT.of(a)).isNotEqualTo(before);
            assertThat(c.fingerprints()).containsOnlyKeys(a, b);
            assertThat(c.toString()).contains(a.toString()).doesNotContain(c.fingerprint(a));
        });
    }

    @Test
    void checkNow_unchangedFiles_areNotReported_evenRewrittenWithTheSameBytes() throws Exception {
        FileWatcher watcher = started(a, b);

        watcher.checkNow();
        Files.writeString(a, "one");
        watcher.checkNow();

        assertThat(changes).isEmpty();
    }

    @Test
    void markSeen_aStateTheOwnerLoadedItself_isNotReported() throws Exception {
        FileWatcher watcher = watching(a).build();
        watcher.markSeen(a, FileWatcher.Fingerprint.CONTENT.of(a));

        watcher.checkNow();

        assertThat(changes).isEmpty();
    }

    @Test
    void checkNow_aRemovedFile_isLoggedOnce_andItsReturnWithNewContentIsReported() throws Exception {
        FileWatcher watcher = started(a, b);
        try (LogCapture logs = LogCapture.start()) {
            Files.delete(a);
            watcher.checkNow();
            watcher.checkNow();
            watcher.checkNow();

            assertThat(changes).isEmpty();
            assertThat(logs.lines()).singleElement().asString().contains("test files: cannot read " + a)
                    .contains("it does not exist");

            Files.writeString(a, "one, recreated");
            watcher.checkNow();
            watcher.checkNow();
        }
        assertThat(changes).singleElement().satisfies(c -> assertThat(c.changed()).containsExactly(a));
    }

    @Test
    void checkNow_aFileRecreatedWithTheSameContent_isNotAChange() throws Exception {
        FileWatcher watcher = started(a);

        Files.delete(a);
        watcher.checkNow();
        Files.writeString(a, "one");
        watcher.checkNow();

        assertThat(changes).isEmpty();
    }

    @Test
    void checkNow_whileOneFileIsUnreadable_reportsNothing_thenEverythingThatChanged() throws Exception {
        FileWatcher watcher = started(a, b);
        try (LogCapture logs = LogCapture.start()) {
            Files.delete(a);
            Files.createDirectory(a); // reading a directory's bytes fails
            Files.writeString(b, "two, changed");
            watcher.checkNow();

            assertThat(changes).isEmpty();
            assertThat(logs.lines()).singleElement().asString().contains("cannot read " + a);
        }
        Files.delete(a);
        Files.writeString(a, "one, changed");
        watcher.checkNow();

        assertThat(changes).singleElement().satisfies(c -> assertThat(c.changed()).containsExactly(a, b));
    }

    @Test
    void checkNow_permissionDenied_isNamedInTheLog_andDoesNotThrow() {
        FileWatcher watcher = FileWatcher.builder("secrets").watch(a, file -> {
            throw new AccessDeniedException(file.toString());
        }).onChange(changes::add).build();
        try (LogCapture logs = LogCapture.start()) {
            watcher.checkNow();
            watcher.checkNow();

            assertThat(logs.lines()).singleElement().asString().contains("secrets: cannot read " + a)
                    .contains("permission denied");
        }
        assertThat(changes).isEmpty();
    }

    @Test
    void settle_aChangeIsReportedOnlyOnceTwoPollsSawIt() throws Exception {
        FileWatcher watcher = watching(a).settle(true).build();
        watcher.markSeen(a, FileWatcher.Fingerprint.CONTENT.of(a));

        Files.writeString(a, "half");
        watcher.checkNow();
        Files.writeString(a, "half written");
        watcher.checkNow();
        assertThat(changes).isEmpty();

        watcher.checkNow();
        assertThat(changes).singleElement()
                .satisfies(c -> assertThat(c.fingerprint(a)).isEqualTo(FileWatcher.Fingerprint.CONTENT.of(a)));
    }

    @Test
    void aListenerThatDeclinesOrFails_isToldAgainAtTheNextPoll() {
        AtomicInteger calls = new AtomicInteger();
        FileWatcher watcher = FileWatcher.builder("certificates").watch(a).onChange(change -> {
            int n = calls.incrementAndGet();
            if (n == 2) {
                throw new IllegalStateException("boom");
            }
            return n >= 3;
        }).build();
        try (LogCapture logs = LogCapture.start()) {
            watcher.checkNow(); // declined
            watcher.checkNow(); // failed
            watcher.checkNow(); // handled
            watcher.checkNow();

            assertThat(calls).hasValue(3);
            assertThat(logs.lines()).singleElement().asString().contains("certificates: handling a change of");
        }
    }

    @Test
    void metadata_noticesASizeChange() throws Exception {
        FileWatcher watcher = watching().watch(a, FileWatcher.Fingerprint.METADATA).build();
        watcher.markSeen(a, FileWatcher.Fingerprint.METADATA.of(a));

        watcher.checkNow();
        Files.writeString(a, "one plus more");
        watcher.checkNow();

        assertThat(changes).hasSize(1);
    }

    @Test
    void start_pollsOnADaemonThreadOfItsOwn_andCloseEndsIt() throws Exception {
        FileWatcher watcher = watching(a).interval(Duration.ofMillis(20)).build();
        watcher.markSeen(a, FileWatcher.Fingerprint.CONTENT.of(a));
        watcher.start();
        Files.writeString(a, "changed");
        await().atMost(Duration.ofSeconds(10)).until(() -> changes.size() == 1);
        Optional<Thread> thread = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("file-watch-test files")).findFirst();
        assertThat(thread).hasValueSatisfying(t -> assertThat(t.isDaemon()).isTrue());

        watcher.close();

        await().atMost(Duration.ofSeconds(2)).until(() -> !thread.get().isAlive());
        Files.writeString(a, "changed again");
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> changes.size() == 1);
    }

    @Test
    void start_onAGivenScheduler_closeStopsThePolls_butNotTheScheduler() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            FileWatcher watcher = watching(a).interval(Duration.ofMillis(20)).scheduler(scheduler).build();
            watcher.markSeen(a, FileWatcher.Fingerprint.CONTENT.of(a));
            watcher.start();
            Files.writeString(a, "changed");
            await().atMost(Duration.ofSeconds(10)).until(() -> changes.size() == 1);

            watcher.close();
            Files.writeString(a, "changed again");

            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> changes.size() == 1);
            assertThat(scheduler.isShutdown()).isFalse();
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void close_fromTheListenerOnItsOwnThread_doesNotWaitForItself() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        FileWatcher[] self = new FileWatcher[1];
        self[0] = FileWatcher.builder("closing").watch(a).interval(Duration.ofMillis(20)).onChange(change -> {
            self[0].close();
            closed.set(true);
            return true;
        }).build().start();

        await().atMost(Duration.ofSeconds(3)).untilTrue(closed);
        await().atMost(Duration.ofSeconds(3)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("file-watch-closing")));
    }
}
