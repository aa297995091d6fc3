package io.edgebridge.core.internal.mqtt;

/** A publish or subscribe could not complete because the link is closed or not connected. */
public final class MqttConnectionException extends Exception {

    private static final long serialVersionUID = 1L;

    public MqttConnectionException(String message) {
        super(message, null, false, false);
    }
}
