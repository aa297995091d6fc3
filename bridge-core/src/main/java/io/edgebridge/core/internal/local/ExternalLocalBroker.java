package io.edgebridge.core.internal.local;

import io.edgebridge.core.internal.mqtt.MqttLink;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An existing broker (Mosquitto, EMQX, ...). The bridge keeps a persistent session there: messages
 * it has not acknowledged (not yet spooled) wait in that session while the bridge is away.
 */
public final class ExternalLocalBroker implements LocalBroker {

    private final MqttIntakeSession session;

    public ExternalLocalBroker(MqttLink link, String ownClientId) {
        this.session = new MqttIntakeSession(link, ownClientId);
    }

    @Override
    public CompletableFuture<Void> start(Intake intake, List<String> subscriptions) {
        return session.start(intake, subscriptions);
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties) {
        return session.publish(topic, payload, retain, properties);
    }

    @Override
    public CompletableFuture<Void> updateSubscriptions(List<String> subscriptions) {
        return session.updateSubscriptions(subscriptions);
    }

    @Override
    public void stopIntake() {
        session.stopIntake();
    }

    @Override
    public boolean isConnected() {
        return session.isConnected();
    }

    @Override
    public void close() {
        session.close();
    }
}
