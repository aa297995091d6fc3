package io.edgebridge.core.internal.spool;

/** The spool is at {@code maxBytes} and configured to refuse new messages. */
public final class SpoolFullException extends SpoolException {

    private static final long serialVersionUID = 1L;

    public SpoolFullException(long maxBytes) {
        super("spool is full (maxBytes " + maxBytes + ", whenFull: refuse-new)");
    }
}
