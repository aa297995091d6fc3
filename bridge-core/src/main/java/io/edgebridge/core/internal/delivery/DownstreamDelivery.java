package io.edgebridge.core.internal.delivery;

import io.edgebridge.core.internal.route.CompiledDownstreamRoute;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * One cloud message on its way into the local broker: its local publishes (one per matching route,
 * each with its retries) and the stages of the sink's deliveries waiting for it. The first delivery
 * of the message creates it; a redelivery of the same message while it is in progress attaches
 * another stage. It ends when every publish is done, completing every attached stage, or when the
 * sink has given up on every attached stage: then it is abandoned, its retries end and the local
 * publishes still waiting are withdrawn (cancelled), so that no copy of it is left queued in the bridge
 * while the cloud redelivers the message.
 */
final class DownstreamDelivery {

    private final Optional<String> id;
    private final List<CompiledDownstreamRoute> routes;
    private final Runnable onAbandoned;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    // Guarded by this.
    private final Set<CompletableFuture<Void>> stages = new LinkedHashSet<>();
    private final Set<Future<?>> open = new LinkedHashSet<>();
    private boolean abandoned;

    /**
     * @param id          the message's identity, if the cloud gives one
     * @param routes      the routes it is published for
     * @param onAbandoned runs once when the sink gave up on every attached stage
     */
    DownstreamDelivery(Optional<String> id, List<CompiledDownstreamRoute> routes, Runnable onAbandoned) {
        this.id = id;
        this.routes = List.copyOf(routes);
        this.onAbandoned = onAbandoned;
    }

    Optional<String> id() {
        return id;
    }

    List<CompiledDownstreamRoute> routes() {
        return routes;
    }

    /**
     * A stage for one delivery of the message by the sink: completes with this delivery; when the
     * sink completes it exceptionally or cancels it first, the sink has given up on it. Empty when
     * the delivery was abandoned meanwhile (the caller starts a new one).
     */
    Optional<CompletableFuture<Void>> attach() {
        CompletableFuture<Void> stage = new CompletableFuture<>();
        synchronized (this) {
            if (abandoned) {
                return Optional.empty();
            }
            if (!done.isDone()) {
                stages.add(stage);
            }
        }
        if (done.isDone()) {
            settle(stage);
            return Optional.of(stage);
        }
        stage.whenComplete((v, error) -> {
            if (error != null) {
                detach(stage);
            }
        });
        return Optional.of(stage);
    }

    private void detach(CompletableFuture<Void> stage) {
        List<Future<?>> withdraw;
        synchronized (this) {
            if (!stages.remove(stage) || !stages.isEmpty() || done.isDone() || abandoned) {
                return;
            }
            abandoned = true;
            withdraw = new ArrayList<>(open);
            open.clear();
        }
        withdraw.forEach(f -> f.cancel(false));
        done.completeExceptionally(new CancellationException("the sink gave up on the message"));
        onAbandoned.run();
    }

    /** Whether the sink gave up on every delivery of the message: nothing more may be published for it. */
    synchronized boolean abandoned() {
        return abandoned;
    }

    /**
     * Keeps {@code work} (a local publish or a scheduled retry) until it completes, to cancel it if
     * the delivery is abandoned; cancels it at once when it already is. Returns whether it may go on.
     */
    boolean track(Future<?> work) {
        synchronized (this) {
            if (!abandoned) {
                if (!work.isDone()) {
                    open.add(work);
                }
                return true;
            }
        }
        work.cancel(false);
        return false;
    }

    /** Forgets {@code work} once it completed. */
    synchronized void untrack(Future<?> work) {
        open.remove(work);
    }

    /** Ends the delivery: every attached stage completes normally ({@code error} null) or with {@code error}. */
    void finish(Throwable error) {
        boolean first = error == null ? done.complete(null) : done.completeExceptionally(error);
        if (!first) {
            return;
        }
        List<CompletableFuture<Void>> waiting;
        List<Future<?>> withdraw;
        synchronized (this) {
            waiting = new ArrayList<>(stages);
            stages.clear();
            withdraw = error == null ? List.of() : new ArrayList<>(open);
            open.clear();
        }
        withdraw.forEach(f -> f.cancel(false));
        waiting.forEach(this::settle);
    }

    private void settle(CompletableFuture<Void> stage) {
        done.whenComplete((v, error) -> {
            if (error == null) {
                stage.complete(null);
            } else {
                stage.completeExceptionally(error);
            }
        });
    }

    /** Completes when the delivery ended (normally only when every publish is done). */
    CompletableFuture<Void> done() {
        return done;
    }
}
