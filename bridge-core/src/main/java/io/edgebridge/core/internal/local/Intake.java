package io.edgebridge.core.internal.local;

import java.util.concurrent.CompletableFuture;

/**
 * Where the local broker hands every message that arrives on a possibly bridged topic.
 */
public interface Intake {

    /** The hop marker: a user property on every message EdgeBridge publishes locally. */
    String HOP_MARKER = "edgebridge-hop";

    /**
     * Takes responsibility for a local message. The future completes when the device (or broker)
     * may be acknowledged: the message is durable in the spool, or no route wants it. It fails
     * when the message was not accepted ({@code SpoolFullException} with refuse-new, a spool
     * error, or intake stopping); then the device must not get a success acknowledgement.
     */
    CompletableFuture<Void> accept(String topic, byte[] payload, int qos, boolean retain);

    /**
     * {@link #accept}'s answer, and whether at the moment the message was taken only an I/O fault
     * could still refuse it (the spool writes and has room for it and everything else waiting).
     * While that holds, the embedded broker may hold a device's acknowledgement instead of its
     * publish (pipelining its publishes): the refusals that MQTT 5 answers with a reason code (spool
     * full) cannot happen to it.
     */
    record Accepted(CompletableFuture<Void> stored, boolean certain) {
    }

    /** Like {@link #accept}, and says whether it is certain to be stored (see {@link Accepted}). The default: never. */
    default Accepted acceptCertain(String topic, byte[] payload, int qos, boolean retain) {
        return new Accepted(accept(topic, payload, qos, retain), false);
    }

    /**
     * Counts a message the local broker acknowledged to its publisher and then discarded before
     * handing it to the bridge (the embedded broker tells; an external one does not). The
     * default counts nothing: for intakes that have no meters (tests).
     */
    default void droppedByBroker(String topic) {
    }
}
