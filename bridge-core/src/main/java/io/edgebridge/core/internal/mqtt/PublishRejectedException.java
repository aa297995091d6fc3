package io.edgebridge.core.internal.mqtt;

/** The broker answered a publish with an error reason code (MQTT 5 PUBACK/PUBREC >= 0x80). */
public final class PublishRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int reasonCode;
    private final String reasonName;

    public PublishRejectedException(int reasonCode, String reasonName) {
        super("broker refused the publish: " + reasonName + " (0x" + Integer.toHexString(reasonCode) + ")", null,
                false, false);
        this.reasonCode = reasonCode;
        this.reasonName = reasonName;
    }

    public int reasonCode() {
        return reasonCode;
    }

    public String reasonName() {
        return reasonName;
    }
}
