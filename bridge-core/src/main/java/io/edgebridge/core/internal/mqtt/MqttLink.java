package io.edgebridge.core.internal.mqtt;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One MQTT connection (v5 or v3.1.1) with automatic reconnects: used for the local broker and by the
 * {@code mqtt} sink, so both speak to brokers through the same code.
 *
 * <p>Publishes made while the connection is down are queued by the client and sent after the
 * reconnect; unacknowledged ones are re-sent. Incoming messages are acknowledged only through
 * {@link IncomingMessage#ack()}.
 */
public interface MqttLink {

    /** Where incoming messages go; must be set before {@link #connect()}. Called on a client thread. */
    void onMessage(Consumer<IncomingMessage> handler);

    /**
     * Starts connecting and keeps reconnecting with backoff. The future completes at the first
     * successful connection (it never fails for an unreachable broker; it keeps trying).
     */
    CompletableFuture<Void> connect();

    /** Subscribes with QoS 1 ({@code noLocal}: the broker does not return our own publishes; MQTT 5 only). */
    CompletableFuture<Void> subscribe(List<String> filters, boolean noLocal);

    /**
     * Removes {@code filters} (each exactly as subscribed); completes at the broker's
     * acknowledgement (after the next connection when disconnected now).
     */
    CompletableFuture<Void> unsubscribe(List<String> filters);

    /**
     * Publishes; completes at the broker's acknowledgement (immediately for QoS 0). Fails with
     * {@link PublishRejectedException} for an error reason code, or with the client's exception
     * when the message could not be sent. Cancelling the returned future withdraws the message: it
     * is not sent if it still waits (e.g. while disconnected), and a QoS 1 message sent but not yet
     * acknowledged is not re-sent after a reconnect.
     */
    CompletableFuture<Void> publish(OutgoingMessage message);

    boolean isConnected();

    /** Whether the protocol carries user properties (MQTT 5). */
    boolean supportsUserProperties();

    /** Disconnects without reconnecting. Idempotent. */
    CompletableFuture<Void> disconnect();
}
