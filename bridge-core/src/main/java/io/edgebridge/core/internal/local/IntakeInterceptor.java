package io.edgebridge.core.internal.local;

import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import io.edgebridge.core.internal.spool.SpoolFullException;
import io.edgebridge.core.internal.spool.SpoolUnwritableException;
import io.edgebridge.core.support.Futures;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * In-process intake from the embedded broker: every inbound PUBLISH passes through here before
 * HiveMQ processes it, and HiveMQ sends the device's PUBACK only after this interceptor resumes.
 * So a bridged message is acknowledged only once it is durable in the spool; QoS 0 messages on
 * bridged topics are spooled too.
 */
final class IntakeInterceptor implements PublishInboundInterceptor {

    private static final Duration SPOOL_TIMEOUT = Duration.ofSeconds(30);

    private final Intake intake;
    private final String ownClientId;
    private volatile boolean stopped;

    IntakeInterceptor(Intake intake, String ownClientId) {
        this.intake = intake;
        this.ownClientId = ownClientId;
    }

    void stop() {
        stopped = true;
    }

    @Override
    public void onInboundPublish(PublishInboundInput input, PublishInboundOutput output) {
        PublishPacket packet = input.getPublishPacket();
        if (input.getClientInformation().getClientId().equals(ownClientId)
                || packet.getUserProperties().getFirst(Intake.HOP_MARKER).isPresent()) {
            return; // our own publishes (downstream, dead letters) are never bridged upstream
        }
        int qos = packet.getQos().getQosNumber();
        if (stopped) {
            refuse(output, qos, AckReasonCode.UNSPECIFIED_ERROR, "bridge is shutting down");
            return;
        }
        byte[] payload = copy(packet.getPayload().orElse(null));
        CompletableFuture<Void> accepted = intake.accept(packet.getTopic(), payload, qos, packet.getRetain());
        if (qos == Qos.AT_MOST_ONCE.getQosNumber() || (accepted.isDone() && !accepted.isCompletedExceptionally())) {
            // Not bridged, or QoS 0: there is no acknowledgement to hold back, so the publish is not paused.
            return;
        }
        Async<PublishInboundOutput> async = output.async(SPOOL_TIMEOUT, TimeoutFallback.FAILURE,
                AckReasonCode.UNSPECIFIED_ERROR, "bridge spool did not answer in time");
        accepted.whenComplete((ok, error) -> {
            if (error != null) {
                Throwable cause = Futures.unwrap(error);
                if (cause instanceof SpoolFullException) {
                    refuse(async.getOutput(), qos, AckReasonCode.QUOTA_EXCEEDED, "bridge spool is full");
                } else if (cause instanceof SpoolUnwritableException) {
                    refuse(async.getOutput(), qos, AckReasonCode.UNSPECIFIED_ERROR,
                            "bridge spool cannot write (disk full or I/O error); try again later");
                } else {
                    refuse(async.getOutput(), qos, AckReasonCode.UNSPECIFIED_ERROR, "bridge could not store the message");
                }
            }
            async.resume();
        });
    }

    /**
     * A QoS 1/2 message the bridge cannot take must not be acknowledged as a success: MQTT 5
     * devices get the reason code, MQTT 3 devices are disconnected by HiveMQ (their only "no").
     * A QoS 0 message has no acknowledgement; it is still delivered to local subscribers.
     */
    private static void refuse(PublishInboundOutput output, int qos, AckReasonCode code, String reason) {
        if (qos > Qos.AT_MOST_ONCE.getQosNumber()) {
            output.preventPublishDelivery(code, reason);
        }
    }

    private static byte[] copy(ByteBuffer buffer) {
        if (buffer == null) {
            return new byte[0];
        }
        ByteBuffer dup = buffer.duplicate();
        byte[] bytes = new byte[dup.remaining()];
        dup.get(bytes);
        return bytes;
    }
}
