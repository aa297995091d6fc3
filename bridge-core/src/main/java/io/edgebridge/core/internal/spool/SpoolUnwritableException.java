package io.edgebridge.core.internal.spool;

/**
 * The spool cannot write (disk full, I/O error) and refuses new messages until a write works again;
 * nothing that was refused was acknowledged.
 */
public final class SpoolUnwritableException extends SpoolException {

    private static final long serialVersionUID = 1L;

    public SpoolUnwritableException(String message) {
        super(message);
    }
}
