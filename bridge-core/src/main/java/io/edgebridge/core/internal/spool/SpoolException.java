package io.edgebridge.core.internal.spool;

/** The spool could not store or read a message (disk full, I/O error, closed). */
public class SpoolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SpoolException(String message) {
        super(message);
    }

    public SpoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
