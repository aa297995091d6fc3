package io.edgebridge.core.internal.local;

import io.edgebridge.core.internal.mqtt.MqttLink;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An existing broker (Mosquitto, EMQX, ...). The bridge keeps a persistent session there: messages
 * it has not acknowledged (not yet spooled) wait in that session while the bridge is away.
 *
 * <p>With a shared group, every intake subscription is {@code $share/<group>/<filter>}: replicas in
 * the group split the messages, each taken by one of them.
 */
public final class ExternalLocalBroker implements LocalBroker {

    private final LocalBrokerSession session;
    private final Optional<String> sharedGroup;
    private final BrokerCheck check;

    /**
     * @param brokerDisplay the broker's URI as logs show it
     */
    public ExternalLocalBroker(MqttLink link, String ownClientId, Optional<String> sharedGroup, String brokerDisplay) {
        this.session = new LocalBrokerSession(link, ownClientId);
        this.sharedGroup = sharedGroup;
        this.check = new BrokerCheck(brokerDisplay);
    }

    public ExternalLocalBroker(MqttLink link, String ownClientId, Optional<String> sharedGroup) {
        this(link, ownClientId, sharedGroup, "local broker");
    }

    public ExternalLocalBroker(MqttLink link, String ownClientId) {
        this(link, ownClientId, Optional.empty());
    }

    @Override
    public CompletableFuture<Void> start(Intake intake, List<String> subscriptions) {
        CompletableFuture<Void> started = sharedGroup.isEmpty() ? session.start(intake, subscriptions)
                // MQTT 5 forbids No-Local on shared subscriptions; our own publishes carry the hop marker instead.
                : session.start(intake, shared(sharedGroup.get(), subscriptions), false);
        // Not part of "started": a broker without $SYS (or one that refuses it) only misses the check.
        check.subscribed(session.checkBroker(check));
        return started;
    }

    /** The broker's own count of dropped messages, for all its clients, if it reports one ($SYS). */
    public Optional<Long> droppedReported() {
        return check.droppedReported();
    }

    /** {@code $share/<group>/<filter>} for each filter. */
    static List<String> shared(String group, List<String> filters) {
        return filters.stream().map(f -> "$share/" + group + "/" + f).toList();
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties) {
        return session.publish(topic, payload, retain, properties);
    }

    @Override
    public CompletableFuture<LocalResponse> request(String topic, byte[] payload, Map<String, String> properties,
            java.time.Duration timeout) {
        return session.request(topic, payload, properties, timeout);
    }

    @Override
    public CompletableFuture<Void> updateSubscriptions(List<String> subscriptions) {
        return session.updateSubscriptions(sharedGroup.map(group -> shared(group, subscriptions)).orElse(subscriptions));
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
