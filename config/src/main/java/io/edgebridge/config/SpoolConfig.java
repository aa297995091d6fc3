package io.edgebridge.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code spool}: the on-disk buffer every upstream message enters before its device is acked.
 *
 * @param dir      directory of the spool (default {@code <dataDir>/spool})
 * @param maxBytes limit on stored message bytes (default 1 GiB)
 * @param maxAge   messages older than this are dropped (default 7 days); zero means no limit
 * @param whenFull what happens when {@code maxBytes} is reached
 */
public record SpoolConfig(Path dir, long maxBytes, Duration maxAge, WhenFull whenFull) {

    public enum WhenFull {
        /** Drop the oldest messages to make room; each drop is counted. */
        DROP_OLDEST,
        /** Refuse new messages until there is room; each refusal is counted. */
        REFUSE_NEW
    }
}
