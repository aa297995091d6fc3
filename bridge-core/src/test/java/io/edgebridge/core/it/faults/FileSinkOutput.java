package io.edgebridge.core.it.faults;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@code file} sink wrote: the payloads of its JSON lines, counted, so a test knows which
 * messages were delivered and how many arrived twice. Payloads must be plain text without quotes.
 */
final class FileSinkOutput {

    private static final Pattern PAYLOAD = Pattern.compile("\"payload\":\"([^\"]*)\"");

    private final Path file;

    FileSinkOutput(Path file) {
        this.file = file;
    }

    /** Per payload, how often it was written (complete lines only). */
    Map<String, Integer> counts() {
        Map<String, Integer> counts = new HashMap<>();
        if (!Files.exists(file)) {
            return counts;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                Matcher m = PAYLOAD.matcher(line);
                if (line.endsWith("}") && m.find()) {
                    counts.merge(m.group(1), 1, Integer::sum);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return counts;
    }

    long distinct() {
        return counts().size();
    }

    /** How many of {@code acknowledged} were written. */
    long delivered(Collection<String> acknowledged) {
        Map<String, Integer> counts = counts();
        return acknowledged.stream().filter(counts::containsKey).count();
    }

    /** Extra copies written, of any payload. */
    long duplicates() {
        return counts().values().stream().mapToLong(n -> n - 1).sum();
    }

    /**
     * Waits until {@code acknowledged} messages are written or counted as dropped ({@code counted}),
     * or until nothing moved for 3 s (the bridge has all it will ever get); returns how long it took.
     */
    Duration awaitSettled(long acknowledged, LongSupplier counted) {
        long start = System.nanoTime();
        AtomicLong last = new AtomicLong(-1);
        AtomicLong lastChange = new AtomicLong(System.nanoTime());
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
            long progress = distinct() + counted.getAsLong();
            if (progress != last.getAndSet(progress)) {
                lastChange.set(System.nanoTime());
            }
            return progress >= acknowledged || System.nanoTime() - lastChange.get() > TimeUnit.SECONDS.toNanos(3);
        });
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
