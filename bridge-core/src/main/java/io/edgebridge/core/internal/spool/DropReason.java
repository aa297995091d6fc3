package io.edgebridge.core.internal.spool;

import java.util.Locale;

/** Why the spool removed messages that a sink had not delivered yet. */
public enum DropReason {
    /** {@code spool.maxBytes} reached with {@code whenFull: drop-oldest}. */
    SPOOL_FULL,
    /** Older than {@code spool.maxAge}. */
    EXPIRED;

    /** The value of the {@code reason} tag. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
