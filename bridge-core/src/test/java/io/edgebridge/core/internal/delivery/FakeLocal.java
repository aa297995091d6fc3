package io.edgebridge.core.internal.delivery;

import io.edgebridge.core.internal.local.Intake;
import io.edgebridge.core.internal.local.LocalBroker;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/** Records local publishes (dead letters); answers them as {@link #respondWith} says (by default: taken). */
final class FakeLocal implements LocalBroker {
    record Published(String topic, byte[] payload, Map<String, String> properties) {
    }

    final Queue<Published> published = new ConcurrentLinkedQueue<>();
    /** Every publish tried, taken or not. */
    final Queue<Published> attempts = new ConcurrentLinkedQueue<>();
    private volatile Function<Published, CompletableFuture<Void>> respond = p -> CompletableFuture.completedFuture(null);

    /** From now on, a publish is answered by {@code respond}; it counts as published when that completes normally. */
    FakeLocal respondWith(Function<Published, CompletableFuture<Void>> respond) {
        this.respond = respond;
        return this;
    }

    @Override
    public CompletableFuture<Void> start(Intake intake, List<String> subscriptions) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties) {
        Published p = new Published(topic, payload, properties);
        attempts.add(p);
        return respond.apply(p).thenRun(() -> published.add(p));
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
