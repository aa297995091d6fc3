package io.edgebridge.core.api;

/** Why a sink did not accept a message, and what the engine should do about it. */
public final class DeliveryException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What the engine does with the message. */
    public enum Disposition {
        /** A passing condition (disconnected, timeout, throttled): retry with backoff, forever. */
        RETRY,
        /** The destination refused it: retry up to {@code deadLetter.maxAttempts}, then dead-letter. */
        REJECTED,
        /** It can never be accepted (too large, invalid topic): dead-letter at once. */
        PERMANENT
    }

    private final Disposition disposition;

    /** {@code reason} is short, operator-readable and free of secrets and payload content. */
    public DeliveryException(Disposition disposition, String reason) {
        super(reason, null, false, false);
        this.disposition = disposition;
    }

    public DeliveryException(Disposition disposition, String reason, Throwable cause) {
        super(reason, cause, false, false);
        this.disposition = disposition;
    }

    public Disposition disposition() {
        return disposition;
    }

    public String reason() {
        return getMessage();
    }
}
