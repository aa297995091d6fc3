package io.edgebridge.core.internal.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3ClientBuilder;
import com.hivemq.client.mqtt.mqtt3.message.auth.Mqtt3SimpleAuth;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscribe;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.Mqtt3Subscription;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import io.edgebridge.config.MqttEndpointConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * {@link MqttLink} over MQTT 3.1.1: no user properties, content type or No-Local, and a refused
 * publish cannot be told from a lost one.
 */
final class Mqtt3Link implements MqttLink {

    private final MqttEndpointConfig endpoint;
    private final LinkLifecycle lifecycle;
    private final Mqtt3AsyncClient client;

    Mqtt3Link(MqttEndpointConfig endpoint, String name, Optional<MqttClientSslConfig> ssl) {
        this.endpoint = endpoint;
        this.lifecycle = new LinkLifecycle(endpoint, name);
        Mqtt3ClientBuilder builder = lifecycle.configure(MqttClient.builder().useMqttVersion3(), ssl, "MQTT 3.1.1",
                this::disconnect);
        if (endpoint.username().isPresent()) {
            var auth = Mqtt3SimpleAuth.builder().username(endpoint.username().get());
            if (endpoint.password().isPresent()) {
                auth = auth.password(endpoint.password().get().reveal().getBytes(StandardCharsets.UTF_8));
            }
            builder.simpleAuth(auth.build());
        }
        this.client = builder.buildAsync();
    }

    @Override
    public void onMessage(Consumer<IncomingMessage> handler) {
        client.publishes(MqttGlobalPublishFilter.ALL, publish -> handler.accept(toIncoming(publish)), true);
    }

    private static IncomingMessage toIncoming(Mqtt3Publish publish) {
        return new IncomingMessage(publish.getTopic().toString(), publish.getPayloadAsBytes(),
                publish.getQos().getCode(), publish.isRetain(), Map.of(), Optional.empty(), publish::acknowledge);
    }

    @Override
    public CompletableFuture<Void> connect() {
        return lifecycle.connect(() -> client.connectWith()
                .cleanSession(endpoint.sessionExpiry().isZero())
                .keepAlive((int) endpoint.keepAlive().toSeconds())
                .send());
    }

    @Override
    public CompletableFuture<Void> subscribe(List<String> filters, boolean noLocal) {
        if (filters.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<Mqtt3Subscription> subscriptions = new ArrayList<>();
        for (String filter : filters) {
            subscriptions.add(Mqtt3Subscription.builder().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).build());
        }
        return client.subscribe(Mqtt3Subscribe.builder().addSubscriptions(subscriptions).build())
                .thenAccept(subAck -> {
                    List<Mqtt3SubAckReturnCode> codes = subAck.getReturnCodes();
                    for (int i = 0; i < codes.size(); i++) {
                        if (codes.get(i).isError()) {
                            throw new IllegalStateException("broker " + endpoint.displayUri()
                                    + " refused the subscription '" + filters.get(i) + "'");
                        }
                    }
                });
    }

    @Override
    public CompletableFuture<Void> publish(OutgoingMessage message) {
        return client.publishWith()
                .topic(message.topic())
                .qos(MqttQos.fromCode(message.qos()))
                .payload(message.payload())
                .retain(message.retain())
                .send()
                .thenApply(p -> null);
    }

    @Override
    public boolean isConnected() {
        return client.getState().isConnected();
    }

    @Override
    public boolean supportsUserProperties() {
        return false;
    }

    @Override
    public CompletableFuture<Void> disconnect() {
        return lifecycle.disconnect(client.getState(), client::disconnect);
    }
}
