package io.edgebridge.core.internal.mqtt;

/**
 * MQTT cannot carry this publish (a topic or property too long for its two-byte length, a NUL, a
 * lone surrogate, a wildcard in the topic): it was not written, and never will be.
 */
public final class InvalidPublishException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidPublishException(String problem) {
        super("not a valid MQTT publish: " + problem, null, false, false);
    }
}
