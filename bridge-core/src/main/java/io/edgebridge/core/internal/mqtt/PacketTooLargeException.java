package io.edgebridge.core.internal.mqtt;

/** The broker announced a maximum packet size this message exceeds; sending it would get us disconnected. */
public final class PacketTooLargeException extends Exception {

    private static final long serialVersionUID = 1L;

    private final long size;
    private final long maximum;

    public PacketTooLargeException(long size, long maximum) {
        super("a PUBLISH of " + size + " bytes exceeds the broker's maximum packet size of " + maximum + " bytes",
                null, false, false);
        this.size = size;
        this.maximum = maximum;
    }

    /** The encoded size of the refused PUBLISH. */
    public long size() {
        return size;
    }

    /** The broker's Maximum Packet Size (CONNACK). */
    public long maximum() {
        return maximum;
    }
}
