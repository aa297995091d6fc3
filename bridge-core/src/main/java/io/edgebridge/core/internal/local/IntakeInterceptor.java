package io.edgebridge.core.internal.local;

import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.puback.PubackOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.puback.parameter.PubackOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.puback.parameter.PubackOutboundOutput;
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
import io.edgebridge.core.support.LogLimit;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process intake from the embedded broker: every inbound PUBLISH passes through here before
 * HiveMQ processes it, and a bridged QoS 1/2 message is acknowledged to its device only once it is
 * durable in the spool; QoS 0 messages on bridged topics are spooled too.
 *
 * <p>Two ways to hold the acknowledgement. HiveMQ runs one client's interceptor calls one at a time,
 * an async one blocking the next, so holding the PUBLISH until the spool answers lets a connection
 * have one message in the spool's group commit at a time (one fsync round trip per message). When
 * the spool can refuse a QoS 1 message only by an I/O fault ({@link Intake.Accepted#certain}), the
 * PUBLISH is therefore let through at once and its PUBACK is held instead ({@link #onOutboundPuback}):
 * the connection's next publishes reach the spool meanwhile and share its fsync. A PUBACK cannot
 * be turned into a refusal, so if such a message fails after all (a disk error, the bridge stopping,
 * the spool not answering in {@link #PIPELINED_TIMEOUT}), the device is disconnected before the held
 * PUBACK is released: the PUBACK is then never sent, and the device sends the message again. While
 * the spool is full ({@code refuse-new}), cannot write, or is close to either, and for QoS 2, the
 * PUBLISH is held, so a refusal is answered with its reason code (MQTT 5) as before.
 */
final class IntakeInterceptor implements PublishInboundInterceptor, PubackOutboundInterceptor {

    private static final Logger log = LoggerFactory.getLogger(IntakeInterceptor.class);

    private static final Duration SPOOL_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How long a held PUBACK waits for the spool before the device is disconnected instead. Well below
     * {@link #PUBACK_HOLD}, HiveMQ's own limit, after which it would send the PUBACK unchanged.
     */
    static final Duration PIPELINED_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PUBACK_HOLD = Duration.ofSeconds(120);
    /** Completed entries whose PUBACK never came (the device went away first) are forgotten after this. */
    private static final long FORGET_AFTER_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final CompletableFuture<Void> STORED = CompletableFuture.completedFuture(null);

    private final Intake intake;
    private final String ownClientId;
    private final Function<String, CompletableFuture<?>> disconnector;
    private final LongSupplier nanoClock;
    /** Pipelined QoS 1 publishes whose PUBACK is held: client id and packet id to the spool's answer. */
    private final ConcurrentHashMap<Held, Pending> held = new ConcurrentHashMap<>();
    private final LogLimit disconnectLog = new LogLimit();
    private volatile boolean stopped;

    private record Held(String clientId, int packetId) {
    }

    /**
     * A pipelined publish: {@code released} completes when its PUBACK may go: at once when it is
     * stored, or once its device is disconnected when it is not (the PUBACK is then never written).
     */
    private record Pending(CompletableFuture<Void> released, long since) {
    }

    /**
     * @param disconnect disconnects a client by id (HiveMQ's client service); completes once it is done
     */
    IntakeInterceptor(Intake intake, String ownClientId, Function<String, CompletableFuture<?>> disconnect,
            LongSupplier nanoClock) {
        this.intake = intake;
        this.ownClientId = ownClientId;
        this.disconnector = disconnect;
        this.nanoClock = nanoClock;
    }

    void stop() {
        stopped = true;
    }

    @Override
    public void onInboundPublish(PublishInboundInput input, PublishInboundOutput output) {
        PublishPacket packet = input.getPublishPacket();
        String clientId = input.getClientInformation().getClientId();
        if (clientId.equals(ownClientId) || packet.getUserProperties().getFirst(Intake.HOP_MARKER).isPresent()) {
            return; // our own publishes (downstream, dead letters) are never bridged upstream
        }
        int qos = packet.getQos().getQosNumber();
        if (qos == Qos.AT_LEAST_ONCE.getQosNumber()) {
            // A packet id is reused once acknowledged (or by a new connection): never answer for an older use.
            held.remove(new Held(clientId, packet.getPacketId()));
        }
        if (stopped) {
            refuse(output, qos, AckReasonCode.UNSPECIFIED_ERROR, "bridge is shutting down");
            return;
        }
        byte[] payload = copy(packet.getPayload().orElse(null));
        Intake.Accepted taken = intake.acceptCertain(packet.getTopic(), payload, qos, packet.getRetain());
        CompletableFuture<Void> accepted = taken.stored();
        if (qos == Qos.AT_MOST_ONCE.getQosNumber() || (accepted.isDone() && !accepted.isCompletedExceptionally())) {
            // Not bridged, or QoS 0: there is no acknowledgement to hold back, so the publish is not paused.
            return;
        }
        if (qos == Qos.AT_LEAST_ONCE.getQosNumber() && taken.certain() && !accepted.isDone()) {
            CompletableFuture<Void> released = accepted.handle((ok, error) -> error)
                    .thenCompose(error -> error == null ? STORED : disconnect(clientId, Futures.unwrap(error)));
            held.put(new Held(clientId, packet.getPacketId()), new Pending(released, nanoClock.getAsLong()));
            return; // pipelined: the PUBACK waits in onOutboundPuback
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

    @Override
    public void onOutboundPuback(PubackOutboundInput input, PubackOutboundOutput output) {
        String clientId = input.getClientInformation().getClientId();
        Pending pending = held.remove(new Held(clientId, input.getPubackPacket().getPacketIdentifier()));
        if (pending == null || pending.released().isDone()) {
            return; // not a pipelined publish, or stored (or its device disconnected) already
        }
        Async<PubackOutboundOutput> async = output.async(PUBACK_HOLD);
        pending.released().copy().orTimeout(PIPELINED_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, error) -> {
                    if (error == null) {
                        async.resume();
                    } else {
                        // The spool did not answer in time: the PUBACK must not go out unproven.
                        disconnect(clientId, Futures.unwrap(error)).whenComplete((r, e) -> async.resume());
                    }
                });
    }

    /**
     * A pipelined message was not stored: its PUBACK must never reach the device. Disconnecting it
     * makes HiveMQ drop the PUBACK (the connection is closed when it is written); the device sends
     * the message again. Completes when the disconnect is done (or failed).
     */
    private CompletableFuture<Void> disconnect(String clientId, Throwable cause) {
        LogLimit.Pass pass = disconnectLog.admit(clientId);
        if (pass.logs()) {
            log.atWarn().addKeyValue("clientId", clientId).addKeyValue("suppressed", pass.suppressed()).log(
                    "disconnecting a device: the spool did not store its message ({}), so it is not"
                            + " acknowledged and the device sends it again{}", describe(cause), pass.suffix());
        }
        CompletableFuture<?> done;
        try {
            done = disconnector.apply(clientId);
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        return done.handle((r, e) -> null);
    }

    /**
     * Forgets held entries whose PUBACK will not come (their device went away); call now and then.
     * Only released ones: for those a PUBACK that still came would be right (stored) or never written.
     */
    int forgetStale() {
        long now = nanoClock.getAsLong();
        int before = held.size();
        held.values().removeIf(p -> p.released().isDone() && now - p.since() > FORGET_AFTER_NANOS);
        return before - held.size();
    }

    /** Pipelined publishes whose PUBACK is held or has not passed yet. */
    int heldCount() {
        return held.size();
    }

    private static String describe(Throwable cause) {
        if (cause instanceof TimeoutException) {
            return "the spool did not answer within " + PIPELINED_TIMEOUT.toSeconds() + " s";
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
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
