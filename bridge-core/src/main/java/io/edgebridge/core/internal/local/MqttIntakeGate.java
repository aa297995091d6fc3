package io.edgebridge.core.internal.local;

import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flow control for {@code intake: mqtt} with the embedded broker. HiveMQ acknowledges a device's
 * publish once it has queued the message for its subscribers, so the devices are never slowed by
 * the bridge, and the bridge's queue used to overflow under load (HiveMQ discards the overflow
 * silently). This interceptor counts every QoS 1/2 publish that will be queued for the bridge's
 * session in {@link IntakeBacklog} before HiveMQ goes on with it, and holds the publish, and with it
 * the device's PUBACK, while the backlog is at its bound. A publish held for {@link #MAX_WAIT} is
 * refused with QUOTA_EXCEEDED (an MQTT 3 device is disconnected), so a device never waits forever on
 * a bridge that does not drain.
 *
 * <p>QoS 0 is not held (there is no acknowledgement to hold back); what HiveMQ drops of it is
 * counted by {@link BrokerDropCounter}.
 */
final class MqttIntakeGate implements PublishInboundInterceptor {

    private static final Logger log = LoggerFactory.getLogger(MqttIntakeGate.class);
    /** How long a device's publish may wait for room before it is refused. */
    static final Duration MAX_WAIT = Duration.ofSeconds(20);

    private final IntakeBacklog backlog;
    private final String ownClientId;
    private final Predicate<String> queuedForBridge;
    private final Runnable refusedCounter;
    private final LogLimit holdLog = new LogLimit();
    private final LogLimit refusalLog = new LogLimit();

    /**
     * @param queuedForBridge whether a topic matches one of the bridge's intake subscriptions (the
     *                        broker queues it for the bridge)
     * @param refusedCounter  counts one publish refused because the backlog did not drain in time
     */
    MqttIntakeGate(IntakeBacklog backlog, String ownClientId, Predicate<String> queuedForBridge,
            Runnable refusedCounter) {
        this.backlog = backlog;
        this.ownClientId = ownClientId;
        this.queuedForBridge = queuedForBridge;
        this.refusedCounter = refusedCounter;
    }

    @Override
    public void onInboundPublish(PublishInboundInput input, PublishInboundOutput output) {
        PublishPacket packet = input.getPublishPacket();
        if (packet.getQos() == Qos.AT_MOST_ONCE || input.getClientInformation().getClientId().equals(ownClientId)
                || !queuedForBridge.test(packet.getTopic())) {
            return; // not queued for the bridge's session (No-Local), or QoS 0
        }
        long size = packet.getPayload().map(b -> (long) b.remaining()).orElse(0L);
        CompletableFuture<Void> admitted = backlog.admit(size);
        if (admitted.isDone()) {
            if (admitted.isCompletedExceptionally()) {
                refuse(output, cause(admitted));
            }
            return;
        }
        if (holdLog.admit().logs()) {
            log.atInfo().addKeyValue("backlog", backlog.messages()).addKeyValue("waiting", backlog.waiting())
                    .log("the bridge is behind the devices: their publishes wait until it has taken what the local"
                            + " broker queued for it (flow control, nothing is lost)");
        }
        // HiveMQ's own timeout is a safety net behind ours: ours gives up first and says why.
        Async<PublishInboundOutput> async = output.async(MAX_WAIT.plusSeconds(10), TimeoutFallback.FAILURE,
                AckReasonCode.UNSPECIFIED_ERROR, "bridge did not take the message in time");
        admitted.orTimeout(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS).whenComplete((ok, error) -> {
            if (error != null) {
                refuse(async.getOutput(), Futures.unwrap(error));
            }
            async.resume();
        });
    }

    private void refuse(PublishInboundOutput output, Throwable cause) {
        if (cause instanceof IntakeBacklog.ClosedException) {
            output.preventPublishDelivery(AckReasonCode.UNSPECIFIED_ERROR, "bridge is shutting down");
            return;
        }
        refusedCounter.run();
        LogLimit.Pass pass = refusalLog.admit();
        if (pass.logs()) {
            log.atWarn().addKeyValue("backlog", backlog.messages()).addKeyValue("suppressed", pass.suppressed())
                    .log("a device's publish waited {} s for the bridge to take its backlog and was refused"
                            + " (QUOTA_EXCEEDED; MQTT 3 devices are disconnected) so the device retries{}",
                            MAX_WAIT.toSeconds(), pass.suffix());
        }
        output.preventPublishDelivery(AckReasonCode.QUOTA_EXCEEDED, "bridge backlog full");
    }

    private static Throwable cause(CompletableFuture<Void> failed) {
        try {
            failed.join();
            return new IllegalStateException("not failed");
        } catch (CompletionException e) {
            return Futures.unwrap(e);
        }
    }
}
