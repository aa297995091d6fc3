package io.edgebridge.core.internal.mqtt;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5SimpleAuth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5SimpleAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubRecException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishBuilder;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscribe;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5Subscription;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.edgebridge.config.MqttEndpointConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/** {@link MqttLink} over MQTT 5 (HiveMQ MQTT client). */
final class Mqtt5Link implements MqttLink {

    private final MqttEndpointConfig endpoint;
    private final int receiveMaximum;
    private final LinkLifecycle lifecycle;
    private final Mqtt5AsyncClient client;

    Mqtt5Link(MqttEndpointConfig endpoint, String name, Optional<MqttClientSslConfig> ssl, int receiveMaximum) {
        this.endpoint = endpoint;
        this.receiveMaximum = receiveMaximum;
        this.lifecycle = new LinkLifecycle(endpoint, name);
        Mqtt5ClientBuilder builder = lifecycle.configure(MqttClient.builder().useMqttVersion5(), ssl, "MQTT 5",
                this::disconnect);
        if (endpoint.username().isPresent() || endpoint.password().isPresent()) {
            Mqtt5SimpleAuthBuilder auth = Mqtt5SimpleAuth.builder();
            Mqtt5SimpleAuthBuilder.Complete complete = endpoint.username().isPresent()
                    ? auth.username(endpoint.username().get())
                    : auth.password(endpoint.password().get().reveal().getBytes(StandardCharsets.UTF_8));
            if (endpoint.username().isPresent() && endpoint.password().isPresent()) {
                complete = complete.password(endpoint.password().get().reveal().getBytes(StandardCharsets.UTF_8));
            }
            builder.simpleAuth(complete.build());
        }
        this.client = builder.buildAsync();
    }

    @Override
    public void onMessage(Consumer<IncomingMessage> handler) {
        // A global flow registered before connecting also catches what a resumed session delivers
        // before we subscribe again; without it those messages would be acknowledged unseen.
        client.publishes(MqttGlobalPublishFilter.ALL, publish -> handler.accept(toIncoming(publish)), true);
    }

    private static IncomingMessage toIncoming(Mqtt5Publish publish) {
        Map<String, String> properties = Map.of();
        List<? extends Mqtt5UserProperty> list = publish.getUserProperties().asList();
        if (!list.isEmpty()) {
            properties = new LinkedHashMap<>();
            for (Mqtt5UserProperty p : list) {
                properties.put(p.getName().toString(), p.getValue().toString());
            }
        }
        return new IncomingMessage(publish.getTopic().toString(), publish.getPayloadAsBytes(),
                publish.getQos().getCode(), publish.isRetain(), properties,
                publish.getContentType().map(Object::toString), publish::acknowledge);
    }

    @Override
    public CompletableFuture<Void> connect() {
        long sessionExpiry = endpoint.sessionExpiry().toSeconds();
        return lifecycle.connect(() -> client.connectWith()
                .cleanStart(sessionExpiry == 0)
                .sessionExpiryInterval(Math.min(sessionExpiry, 0xFFFF_FFFFL))
                .keepAlive((int) endpoint.keepAlive().toSeconds())
                .restrictions().receiveMaximum(receiveMaximum).applyRestrictions()
                .send());
    }

    @Override
    public CompletableFuture<Void> subscribe(List<String> filters, boolean noLocal) {
        if (filters.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<Mqtt5Subscription> subscriptions = new ArrayList<>();
        for (String filter : filters) {
            subscriptions.add(Mqtt5Subscription.builder()
                    .topicFilter(filter)
                    .qos(MqttQos.AT_LEAST_ONCE)
                    .noLocal(noLocal)
                    .build());
        }
        return client.subscribe(Mqtt5Subscribe.builder().addSubscriptions(subscriptions).build())
                .thenAccept(subAck -> {
                    List<Mqtt5SubAckReasonCode> codes = subAck.getReasonCodes();
                    for (int i = 0; i < codes.size(); i++) {
                        if (codes.get(i).isError()) {
                            throw new IllegalStateException("broker " + endpoint.displayUri() + " refused the subscription '"
                                    + filters.get(i) + "': " + codes.get(i));
                        }
                    }
                });
    }

    @Override
    public CompletableFuture<Void> publish(OutgoingMessage message) {
        Mqtt5PublishBuilder.Complete builder = Mqtt5Publish.builder()
                .topic(message.topic())
                .qos(MqttQos.fromCode(message.qos()))
                .payload(message.payload())
                .retain(message.retain());
        if (!message.userProperties().isEmpty()) {
            var props = Mqtt5UserProperties.builder();
            message.userProperties().forEach(props::add);
            builder.userProperties(props.build());
        }
        message.contentType().ifPresent(builder::contentType);
        // An error PUBACK may arrive either as the result's error or as the future's failure.
        return client.publish(builder.build()).handle((result, failure) -> {
            Throwable error = failure != null ? failure : result.getError().orElse(null);
            if (error != null) {
                throw new CompletionException(translate(error));
            }
            return null;
        });
    }

    private static Throwable translate(Throwable failure) {
        Throwable error = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (error instanceof Mqtt5PubAckException e) {
            var code = e.getMqttMessage().getReasonCode();
            return new PublishRejectedException(code.getCode(), code.name());
        }
        if (error instanceof Mqtt5PubRecException e) {
            var code = e.getMqttMessage().getReasonCode();
            return new PublishRejectedException(code.getCode(), code.name());
        }
        return error;
    }

    @Override
    public boolean isConnected() {
        return client.getState().isConnected();
    }

    @Override
    public boolean supportsUserProperties() {
        return true;
    }

    @Override
    public CompletableFuture<Void> disconnect() {
        return lifecycle.disconnect(client.getState(), client::disconnect);
    }
}
