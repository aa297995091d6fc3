package io.edgebridge.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * One row of the fault matrix in {@code docs/RELIABILITY.md}: what one fault cost, measured by the
 * test that injected it. A fault test builds its row from counts taken at both ends (what devices had
 * acknowledged, what the destination received, what the bridge counted as dropped), asserts the
 * accounting with {@link #assertAccounted}, and {@link #record}s it; {@code scripts/fault-matrix.sh}
 * runs every {@code *FaultTest} and prints the rows as the table.
 *
 * @param fault        what was done, e.g. "reload: sink setting changed under load"
 * @param local        the local broker mode: "embedded/extension", "embedded/mqtt", "mosquitto", or "-"
 * @param sink         the sink type the messages went to ("mqtt", "file", "aws-iot-core", ...) or "-"
 * @param acknowledged messages the devices (or the external broker) had acknowledged
 * @param delivered    distinct acknowledged messages the destination received
 * @param counted      acknowledged messages the bridge counted as dropped or dead-lettered (with a reason)
 * @param duplicates   extra copies the destination received
 * @param recovery     from the end of the fault until the bridge was live, ready and delivering again
 * @param logLines     WARN and ERROR lines the bridge logged during the fault and its recovery
 */
public record FaultRow(String fault, String local, String sink, long acknowledged, long delivered, long counted,
        long duplicates, Duration recovery, long logLines) {

    /** Acknowledged messages neither delivered nor counted: must be 0. */
    public long lost() {
        return acknowledged - delivered - counted;
    }

    /**
     * Asserts the promise: every acknowledged message was delivered or counted as dropped, and at most
     * {@code maxDuplicates} arrived more than once.
     */
    public FaultRow assertAccounted(long maxDuplicates) {
        assertThat(lost()).as("%s: acknowledged %d = delivered %d + counted %d", fault, acknowledged, delivered,
                counted).isZero();
        assertThat(duplicates).as("%s: duplicates", fault).isLessThanOrEqualTo(maxDuplicates);
        return this;
    }

    /** Asserts that the fault did not flood the log. */
    public FaultRow assertLogLinesAtMost(long max) {
        assertThat(logLines).as("%s: WARN/ERROR lines logged", fault).isLessThanOrEqualTo(max);
        return this;
    }

    /** Appends the row to {@code target/fault-matrix.jsonl} of the module under test. */
    public FaultRow record() {
        String json = String.format(java.util.Locale.ROOT,
                "{\"fault\":%s,\"local\":%s,\"sink\":%s,\"acknowledged\":%d,\"delivered\":%d,\"counted\":%d,"
                        + "\"lost\":%d,\"duplicates\":%d,\"recoveryMs\":%d,\"logLines\":%d}%n",
                quote(fault), quote(local), quote(sink), acknowledged, delivered, counted, lost(), duplicates,
                recovery.toMillis(), logLines);
        Path file = Path.of("target", "fault-matrix.jsonl");
        try {
            Files.createDirectories(file.getParent());
            // Test JVMs run side by side (surefire forks): one whole line each, under a file lock.
            synchronized (FaultRow.class) {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND); FileLock lock = channel.lock()) {
                    channel.write(ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
