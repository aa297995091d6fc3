package io.edgebridge.core.support;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls a few files and reports when their fingerprints change: the one watcher for configuration,
 * password and certificate files.
 *
 * <p>Polling rather than inotify, because editors replace files by renaming and Kubernetes swaps a
 * ConfigMap's directory through a symlink, both of which file-system watches miss or report
 * half-done. A file that cannot be read (gone, permission denied) is logged at most once per
 * {@link LogLimit} interval and otherwise ignored: the last fingerprint read stays the reference,
 * and nothing is reported while any file is unreadable, so the owner never sees half a rotation.
 * Once every file can be read again, what differs from the reference is reported.
 *
 * <pre>{@code
 * FileWatcher watcher = FileWatcher.builder("password file")
 *         .watch(file, FileWatcher.Fingerprint.METADATA)
 *         .interval(Duration.ofSeconds(2))
 *         .onChange(change -> { reload(); return true; })
 *         .build();
 * watcher.markSeen(file, FileWatcher.Fingerprint.METADATA.of(file)); // what was loaded at start
 * watcher.start();
 * }</pre>
 *
 * <p>Polls run one at a time (on the scheduler, or in {@link #checkNow} on the caller's thread), and
 * the listener runs inside the poll; it may call {@link #markSeen} and {@link #close}.
 */
public final class FileWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FileWatcher.class);
    private static final long CLOSE_WAIT_SECONDS = 5;

    /** What stands for a file's state: equal fingerprints mean "unchanged". */
    @FunctionalInterface
    public interface Fingerprint {

        /** SHA-256 of the bytes, in hex: notices every change, reads the whole file. */
        Fingerprint CONTENT = FileWatcher::sha256;

        /** Modification time and size: cheap, misses a same-size rewrite within one clock tick of the file system. */
        Fingerprint METADATA = file -> {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return attributes.lastModifiedTime() + "/" + attributes.size();
        };

        /** The fingerprint now; an {@link IOException} when the file cannot be read. */
        String of(Path file) throws IOException;
    }

    /**
     * One reported change.
     *
     * @param changed      the files whose fingerprint differs from the last one handled (or that were never handled)
     * @param fingerprints every watched file's fingerprint as read by this poll
     */
    public record Change(Set<Path> changed, Map<Path, String> fingerprints) {

        public Change {
            changed = Collections.unmodifiableSet(new LinkedHashSet<>(changed));
            fingerprints = Collections.unmodifiableMap(new LinkedHashMap<>(fingerprints));
        }

        public String fingerprint(Path file) {
            return Objects.requireNonNull(fingerprints.get(file), () -> file + " is not watched");
        }

        /** The changed files only: a fingerprint of a key file is not for logs. */
        @Override
        public String toString() {
            return "Change" + changed;
        }
    }

    /** Told about a change, on the polling thread. */
    @FunctionalInterface
    public interface Listener {

        /**
         * Returns true once the change is handled; false (or an exception) to have it reported again
         * at a later poll, e.g. because a certificate could not be used yet.
         */
        boolean changed(Change change);
    }

    private final String name;
    private final Map<Path, Fingerprint> files;
    private final Duration interval;
    private final boolean settle;
    private final Listener listener;
    private final ScheduledExecutorService givenScheduler;
    /** An unreadable file (per file) and a failing listener: one line per interval. */
    private final LogLimit logLimit = new LogLimit();

    // Guarded by this.
    /** The fingerprint last handled per file; a file without one counts as changed. */
    private final Map<Path, String> seen = new HashMap<>();
    /** With settle: a changed state seen once, reported when the next poll sees it again. */
    private Map<Path, String> pending;
    private final Set<Path> unreadable = new HashSet<>();
    private ScheduledExecutorService ownScheduler;
    private ScheduledFuture<?> task;

    private volatile Thread ownThread;
    private volatile boolean closed;

    private FileWatcher(Builder b) {
        this.name = b.name;
        this.files = Collections.unmodifiableMap(new LinkedHashMap<>(b.files));
        this.interval = b.interval;
        this.settle = b.settle;
        this.listener = b.listener;
        this.givenScheduler = b.scheduler;
    }

    /** @param name what the files are, for logs and the thread ("configuration", "password file") */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Polls every interval from now on (the first poll one interval from now); idempotent. */
    public synchronized FileWatcher start() {
        if (closed || task != null) {
            return this;
        }
        ScheduledExecutorService scheduler = givenScheduler;
        if (scheduler == null) {
            ownScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "file-watch-" + name);
                t.setDaemon(true);
                ownThread = t;
                return t;
            });
            scheduler = ownScheduler;
        }
        long millis = interval.toMillis();
        task = scheduler.scheduleWithFixedDelay(this::checkNow, millis, millis, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Records that the owner handled {@code file} as it was with {@code fingerprint}: not a change to report. */
    public synchronized void markSeen(Path file, String fingerprint) {
        if (!files.containsKey(file)) {
            throw new IllegalArgumentException(file + " is not watched by " + name);
        }
        seen.put(file, fingerprint);
    }

    /** One poll, on the caller's thread: reads every fingerprint and reports a change if due. */
    public synchronized void checkNow() {
        if (closed) {
            return;
        }
        Map<Path, String> now = read();
        if (now == null) {
            pending = null;
            return;
        }
        Set<Path> changed = new LinkedHashSet<>();
        now.forEach((file, fingerprint) -> {
            if (!fingerprint.equals(seen.get(file))) {
                changed.add(file);
            }
        });
        if (changed.isEmpty()) {
            pending = null;
            return;
        }
        if (settle && !now.equals(pending)) {
            pending = now; // seen once: wait one interval for the write to finish
            return;
        }
        pending = null;
        Map<Path, String> before = new HashMap<>(seen);
        if (report(new Change(changed, now))) {
            // What the listener marked seen itself (a newer state it loaded) stays.
            now.forEach((file, fingerprint) -> {
                if (Objects.equals(seen.get(file), before.get(file))) {
                    seen.put(file, fingerprint);
                }
            });
        }
    }

    /** Every file's fingerprint, or null when one cannot be read (each such file logged, rate-limited). */
    private Map<Path, String> read() {
        Map<Path, String> now = new LinkedHashMap<>();
        boolean complete = true;
        for (Map.Entry<Path, Fingerprint> entry : files.entrySet()) {
            Path file = entry.getKey();
            try {
                now.put(file, entry.getValue().of(file));
                if (unreadable.remove(file)) {
                    log.atInfo().addKeyValue("watcher", name).addKeyValue("file", file)
                            .log("{}: {} can be read again", name, file);
                }
            } catch (IOException | RuntimeException e) {
                complete = false;
                unreadable.add(file);
                LogLimit.Pass pass = logLimit.admit(file.toString());
                if (pass.logs()) {
                    log.atWarn().addKeyValue("watcher", name).addKeyValue("file", file)
                            .addKeyValue("suppressed", pass.suppressed())
                            .log("{}: cannot read {} ({}); any change is taken once it can be read again{}",
                                    name, file, reason(e), pass.suffix());
                }
            }
        }
        return complete ? now : null;
    }

    private boolean report(Change change) {
        try {
            return listener.changed(change);
        } catch (RuntimeException e) {
            LogLimit.Pass pass = logLimit.admit("\u0000listener");
            if (pass.logs()) {
                log.atError().addKeyValue("watcher", name).addKeyValue("files", change.changed())
                        .addKeyValue("suppressed", pass.suppressed()).setCause(e)
                        .log("{}: handling a change of {} failed; trying again at a later check{}", name,
                                change.changed(), pass.suffix());
            }
            return false;
        }
    }

    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "it does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** Stops polling; a poll under way finishes. Its own thread, if any, is ended (waited for, unless closing from it). */
    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> t;
        ScheduledExecutorService own;
        synchronized (this) {
            t = task;
            own = ownScheduler;
        }
        if (t != null) {
            t.cancel(false);
        }
        if (own != null) {
            own.shutdown();
            if (Thread.currentThread() != ownThread) {
                try {
                    own.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Collects the files and settings; {@link #build} makes an unstarted watcher. */
    public static final class Builder {
        private final String name;
        private final Map<Path, Fingerprint> files = new LinkedHashMap<>();
        private Duration interval = Duration.ofSeconds(2);
        private boolean settle;
        private Listener listener;
        private ScheduledExecutorService scheduler;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /** Watches {@code file} by its content ({@link Fingerprint#CONTENT}). */
        public Builder watch(Path file) {
            return watch(file, Fingerprint.CONTENT);
        }

        public Builder watch(Path file, Fingerprint fingerprint) {
            files.put(Objects.requireNonNull(file, "file"), Objects.requireNonNull(fingerprint, "fingerprint"));
            return this;
        }

        /** Time between the end of one poll and the next (default 2 s). */
        public Builder interval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("interval must be positive");
            }
            this.interval = interval;
            return this;
        }

        /** Reports a change only once two polls in a row saw it, so a save in several steps is not taken half-written. */
        public Builder settle(boolean settle) {
            this.settle = settle;
            return this;
        }

        /** Polls on {@code scheduler} (not shut down by {@link FileWatcher#close}) instead of a thread of its own. */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        public Builder onChange(Listener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public FileWatcher build() {
            if (files.isEmpty() || listener == null) {
                throw new IllegalStateException("a file watcher needs at least one file and a listener");
            }
            return new FileWatcher(this);
        }
    }
}
