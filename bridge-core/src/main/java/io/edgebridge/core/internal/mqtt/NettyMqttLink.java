package io.edgebridge.core.internal.mqtt;

import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.core.internal.util.SerialInbox;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * An MQTT 3.1.1 / 5 client session on Netty's MQTT codec, built for a bridge: publishes are sent with
 * as many in flight as the broker allows and re-sent after a reconnect until acknowledged; incoming
 * QoS 1/2 messages are acknowledged only when the caller says so, on the connection they came on.
 *
 * <p>This class is the facade; each protocol concern is its own Netty handler, added to every
 * connection of the link: {@link MqttConnector} (connect, CONNACK, keep-alive, reconnect with
 * backoff), {@link MqttSubscriptions} (subscriptions and incoming messages) and {@link MqttFlights}
 * (outgoing publishes, their acknowledgements and the writability gate). All session state lives on
 * one event loop thread. Other threads hand work over through one inbox that the loop drains in a
 * single task, so a burst of publishes or acknowledgements costs one wake-up and one flush.
 */
final class NettyMqttLink implements MqttLink {

    private final String name;
    private final boolean v5;
    private final SerialInbox inbox;
    private final MqttSubscriptions subscriptions;
    private final MqttFlights flights;
    private final MqttConnector connector;

    NettyMqttLink(MqttEndpointConfig endpoint, String name, Optional<SslContext> ssl, int receiveMaximum) {
        this.name = name;
        this.v5 = endpoint.version() == MqttEndpointConfig.MqttVersion.V5;
        EventLoop loop = MqttEventLoops.next();
        this.inbox = new SerialInbox(loop, this::flushIfNeeded);
        PacketIds packetIds = new PacketIds();
        this.subscriptions = new MqttSubscriptions(endpoint.displayUri(), v5, packetIds, inbox::submit);
        this.flights = new MqttFlights(name, v5, packetIds, inbox::submit);
        this.connector = new MqttConnector(endpoint, name, ssl, receiveMaximum, loop, subscriptions, flights);
    }

    @Override
    public void onMessage(Consumer<IncomingMessage> handler) {
        subscriptions.onMessage(handler);
    }

    @Override
    public CompletableFuture<Void> connect() {
        inbox.submit(connector::start);
        return connector.firstConnect();
    }

    @Override
    public CompletableFuture<Void> subscribe(List<String> filters, boolean noLocal) {
        return subscriptions.subscribe(filters, noLocal);
    }

    @Override
    public CompletableFuture<Void> unsubscribe(List<String> filters) {
        return subscriptions.unsubscribe(filters);
    }

    @Override
    public CompletableFuture<Void> publish(OutgoingMessage message) {
        return flights.publish(message);
    }

    @Override
    public boolean isConnected() {
        return connector.isConnected();
    }

    @Override
    public boolean supportsUserProperties() {
        return v5;
    }

    @Override
    public CompletableFuture<Void> disconnect() {
        inbox.submit(this::close);
        return connector.closedFuture();
    }

    /** Event loop: fails what still waits, then ends the connection. Idempotent. */
    private void close() {
        if (connector.isClosed()) {
            return;
        }
        MqttConnectionException gone = new MqttConnectionException("link " + name + " closed");
        flights.close(gone);
        subscriptions.close(gone);
        connector.close(gone);
    }

    /** After the inbox ran a burst of tasks: one flush for whatever they wrote. */
    private void flushIfNeeded() {
        subscriptions.flushIfNeeded();
        flights.flushIfNeeded();
    }
}
