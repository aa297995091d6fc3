package io.edgebridge.core.internal.mqtt;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.support.Futures;

/**
 * What a failed {@link MqttLink#publish} means for the message: the same answer for a cloud broker
 * (the {@code mqtt} sink) and for the local broker (dead letters).
 */
public final class PublishFailures {

    private PublishFailures() {
    }

    public static DeliveryException classify(Throwable error) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof DeliveryException d) {
            return d;
        }
        if (cause instanceof PublishRejectedException rejected) {
            return switch (rejected.reasonCode()) {
                case 0x91, 0x97 -> new DeliveryException(Disposition.RETRY, rejected.getMessage());
                case 0x90, 0x99 -> new DeliveryException(Disposition.PERMANENT, rejected.getMessage());
                default -> new DeliveryException(Disposition.REJECTED, rejected.getMessage());
            };
        }
        if (cause instanceof MqttConnectionException) {
            return new DeliveryException(Disposition.RETRY, "not connected: " + cause.getMessage());
        }
        if (cause instanceof PacketTooLargeException || cause instanceof InvalidPublishException) {
            return new DeliveryException(Disposition.PERMANENT, cause.getMessage());
        }
        if (cause instanceof IllegalArgumentException) {
            return new DeliveryException(Disposition.PERMANENT, "invalid message: " + cause.getMessage());
        }
        return new DeliveryException(Disposition.REJECTED, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }
}
