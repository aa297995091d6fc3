package io.edgebridge.core.internal.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilderBase;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientState;
import io.edgebridge.config.MqttEndpointConfig;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a link's life that does not depend on the protocol version: address, TLS, timeouts,
 * reconnecting with backoff, the first connection, and a close that also ends a retry loop.
 */
final class LinkLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LinkLifecycle.class);

    private final MqttEndpointConfig endpoint;
    private final String name;
    private final CompletableFuture<Void> firstConnect = new CompletableFuture<>();
    private volatile boolean connectStarted;
    private volatile boolean closed;

    LinkLifecycle(MqttEndpointConfig endpoint, String name) {
        this.endpoint = endpoint;
        this.name = name;
    }

    /**
     * Applies identifier, transport (host, port, TLS, timeouts) and the lifecycle listeners.
     * {@code disconnect} is called when a connection completes after the link was closed.
     */
    <B extends MqttClientBuilderBase<B>> B configure(B builder, Optional<MqttClientSslConfig> ssl, String protocol,
            Runnable disconnect) {
        builder.identifier(endpoint.clientId())
                .addDisconnectedListener(new ReconnectPolicy(endpoint.reconnect(), name, endpoint.displayUri(),
                        () -> closed))
                .addConnectedListener(context -> {
                    if (closed) {
                        disconnect.run(); // an attempt that was already under way when we closed
                        return;
                    }
                    log.atInfo().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri())
                            .log("connected ({})", protocol);
                    firstConnect.complete(null);
                });
        var transport = builder.transportConfig()
                .serverHost(endpoint.host())
                .serverPort(endpoint.port())
                .socketConnectTimeout(endpoint.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .mqttConnectTimeout(endpoint.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ssl.ifPresent(transport::sslConfig);
        return transport.applyTransportConfig();
    }

    /** Sends the first CONNECT once; the future completes at the first successful connection. */
    CompletableFuture<Void> connect(Supplier<CompletableFuture<?>> sendConnect) {
        if (!connectStarted) {
            connectStarted = true;
            sendConnect.get().whenComplete((ack, error) -> {
                if (error == null) {
                    firstConnect.complete(null);
                }
            });
        }
        return firstConnect;
    }

    /** Closes: no reconnect from now on. While retrying, the client refuses DISCONNECT; the policy ends the retries. */
    CompletableFuture<Void> disconnect(MqttClientState state, Supplier<CompletableFuture<Void>> sendDisconnect) {
        closed = true;
        if (state == MqttClientState.DISCONNECTED) {
            return CompletableFuture.completedFuture(null);
        }
        return sendDisconnect.get().exceptionally(e -> null);
    }
}
