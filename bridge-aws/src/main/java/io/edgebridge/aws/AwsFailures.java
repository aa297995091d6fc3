package io.edgebridge.aws;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.support.Futures;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.crt.CRT;
import software.amazon.awssdk.crt.CrtRuntimeException;
import software.amazon.awssdk.crt.mqtt5.PublishResult;
import software.amazon.awssdk.crt.mqtt5.packets.ConnAckPacket;
import software.amazon.awssdk.crt.mqtt5.packets.PubAckPacket;

/** What aws-crt's answers and errors mean: to the engine (how a send failed) and in the log (in words). */
final class AwsFailures {

    private AwsFailures() {
    }

    /** A PUBACK with an error reason code, as the engine should treat it. */
    static Optional<DeliveryException> refusal(PublishResult result) {
        if (result == null || result.getType() != PublishResult.PublishResultType.PUBACK) {
            return Optional.empty(); // QoS 0: written is all there is
        }
        PubAckPacket ack = result.getResultPubAck();
        PubAckPacket.PubAckReasonCode code = ack.getReasonCode();
        if (code == null || code.getValue() < 0x80) {
            return Optional.empty();
        }
        String reason = "AWS IoT Core refused the publish: " + code
                + (ack.getReasonString() == null ? "" : " (" + ack.getReasonString() + ")");
        return Optional.of(switch (code) {
            case QUOTA_EXCEEDED -> new DeliveryException(Disposition.RETRY, reason);
            case TOPIC_NAME_INVALID, PAYLOAD_FORMAT_INVALID -> new DeliveryException(Disposition.PERMANENT, reason);
            default -> new DeliveryException(Disposition.REJECTED, reason);
        });
    }

    /** A failed publish, as the engine should treat it. */
    static DeliveryException classify(Throwable error) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof DeliveryException d) {
            return d;
        }
        if (cause instanceof CrtRuntimeException crt) {
            String reason = crtReason(crt);
            if (reason.contains("VALIDATION")) {
                return new DeliveryException(Disposition.PERMANENT, "invalid publish: " + reason);
            }
            return new DeliveryException(Disposition.RETRY, "publish not acknowledged: " + reason);
        }
        if (cause instanceof TimeoutException) {
            return new DeliveryException(Disposition.RETRY, "publish not acknowledged in time");
        }
        return new DeliveryException(Disposition.RETRY, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    /** aws-crt's error name and text for its error code, else the exception's message. */
    static String crtReason(RuntimeException e) {
        if (e instanceof CrtRuntimeException crt && crt.errorCode != 0) {
            return errorText(crt.errorCode);
        }
        return String.valueOf(e.getMessage());
    }

    /** A stable key for a connection failure: its CONNACK reason, or aws-crt's error name. */
    static String failureClass(int errorCode, ConnAckPacket connAck) {
        if (connAck != null && connAck.getReasonCode() != null) {
            return "connack " + connAck.getReasonCode();
        }
        String text = errorText(errorCode);
        int colon = text.indexOf(':');
        return colon > 0 ? text.substring(0, colon) : text;
    }

    static String errorText(int code) {
        try {
            return CRT.awsErrorName(code) + ": " + CRT.awsErrorString(code);
        } catch (RuntimeException | LinkageError e) {
            return "error " + code;
        }
    }
}
