package io.edgebridge.core.internal.local;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The broker devices publish to: embedded HiveMQ CE or an external broker. The bridge takes
 * upstream messages from it ({@link Intake}) and publishes downstream messages and dead letters to
 * it.
 */
public interface LocalBroker {

    /**
     * Starts the broker if embedded, connects the bridge's session, and begins handing messages on
     * {@code subscriptions} (MQTT filters) to {@code intake}. Completes when intake is live: the
     * embedded broker listens and the session is connected (and subscribed, for MQTT intake). An
     * unreachable external broker keeps it pending while the session retries; a broker that refuses
     * to start or refuses a subscription fails it.
     */
    CompletableFuture<Void> start(Intake intake, List<String> subscriptions);

    /**
     * Publishes a message locally with QoS 1 and the hop marker; completes at the local PUBACK.
     * Cancelling the returned future withdraws the message if it has not reached the broker yet (it
     * waits while the session is disconnected), and keeps it from being re-sent after a reconnect.
     */
    CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties);

    /**
     * Publishes a request as MQTT 5 request/response does (QoS 1, with a response topic of the
     * bridge's own under {@link #RESPONSE_TOPIC_PREFIX} and fresh correlation data) and completes
     * with the first message published back there with the same correlation data; fails with
     * {@link LocalRequestTimeoutException} after {@code timeout}, and at once when the bridge's
     * session speaks MQTT 3.1.1, which has no response topic.
     */
    default CompletableFuture<LocalResponse> request(String topic, byte[] payload, Map<String, String> properties,
            java.time.Duration timeout) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no requests on this local broker"));
    }

    /** Where devices publish responses to the bridge's requests (followed by the bridge's client id). */
    String RESPONSE_TOPIC_PREFIX = "edgebridge/responses/";

    /**
     * Changes the intake subscriptions (after a reload): subscribes to the new filters first, then
     * drops the old ones, so no message on a filter in both sets is missed. Completes when the
     * broker acknowledged both; does nothing for in-process intake, which sees every publish.
     */
    CompletableFuture<Void> updateSubscriptions(List<String> subscriptions);

    /**
     * Stops taking new upstream messages; those arriving from now on are not acknowledged by the
     * bridge. May wait (a few seconds at most) for the bridge to take what the broker already
     * acknowledged to devices on its behalf, so call it while the spool still takes appends.
     */
    void stopIntake();

    /** Whether the bridge's session to the broker is connected. */
    boolean isConnected();

    /** Disconnects the session and stops an embedded broker. Idempotent. */
    void close();
}
