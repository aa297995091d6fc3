package io.edgebridge.core.internal.delivery;

import io.edgebridge.core.internal.local.Intake;
import io.edgebridge.core.internal.local.LocalBroker;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Records local publishes (dead letters). */
final class FakeLocal implements LocalBroker {
    record Published(String topic, byte[] payload, Map<String, String> properties) {
    }

    final Queue<Published> published = new ConcurrentLinkedQueue<>();

    @Override
    public CompletableFuture<Void> start(Intake intake, List<String> subscriptions) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties) {
        published.add(new Published(topic, payload, properties));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> updateSubscriptions(List<String> subscriptions) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void stopIntake() {
    }

    @Override
    public boolean isConnected() {
        return true;
    }

    @Override
    public void close() {
    }
}
