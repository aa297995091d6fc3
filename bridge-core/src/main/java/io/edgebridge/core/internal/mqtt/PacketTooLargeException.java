package io.edgebridge.core.internal.mqtt;

/** The broker announced a maximum packet size this message exceeds; sending it would get us disconnected. */
public final class PacketTooLargeException extends Exception {

    private static final long serialVersionUID = 1L;

    public PacketTooLargeException(long size, long maximum) {
        super("message of about " + size + " bytes exceeds the broker's maximum packet size of " + maximum + " bytes",
                null, false, false);
    }
}
