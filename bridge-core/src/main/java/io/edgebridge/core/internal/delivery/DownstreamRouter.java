package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.Direction;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.api.RequestOutcome;
import io.edgebridge.core.support.BackoffDelays;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.local.LocalRequestTimeoutException;
import io.edgebridge.core.internal.mqtt.InvalidPublishException;
import io.edgebridge.core.internal.mqtt.PacketTooLargeException;
import io.edgebridge.core.internal.mqtt.PublishRejectedException;
import io.edgebridge.core.internal.route.CompiledDownstreamRoute;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one sink's cloud messages into the local broker. A message is published locally (QoS 1,
 * hop-marked) for every downstream route it matches; the stage completes, and the sink acks the
 * cloud, only after every local PUBACK. Values a cloud message binds into a local topic must be
 * single valid topic levels, or the message is rejected and counted. Local failures are retried
 * with backoff while the bridge runs; a local broker that refuses a message outright (MQTT 5 error
 * reason code) is tried {@code maxAttempts} times, then the message is dropped and counted, and one
 * the local broker can never take (over its maximum packet size) is dropped and counted at once.
 *
 * <p>One cloud message has at most one delivery in progress ({@link DownstreamDelivery}): a
 * redelivery with the same {@link InboundMessage#id()} joins it, and when the sink gives up on every
 * stage of a delivery its retries end and its waiting local publishes are withdrawn. So a local
 * broker outage leaves one local publish per message queued however often the cloud redelivers.
 * {@code received} counts a message once; its redeliveries are counted as {@code redelivered}.
 *
 * <p>What a cloud can repeat is logged at most once per interval and kind, with a count
 * ({@link LogLimit}): rejections, failed local publishes.
 */
public final class DownstreamRouter implements DownstreamHandler {

    private static final Logger log = LoggerFactory.getLogger(DownstreamRouter.class);
    /** The route tag of counts not tied to one route. */
    private static final String ANY_ROUTE = "*";
    private static final Backoff RETRY = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2);

    private final String sink;
    private final List<CompiledDownstreamRoute> routes;
    private final LocalBroker local;
    private final ScheduledExecutorService scheduler;
    private final int maxAttempts;
    private final Counter unrouted;
    private final Counter refused;
    private final Counter timedOut;
    private final Counter rejectedBySink;
    private final DeliveryRegistry deliveries = new DeliveryRegistry();
    private final LogLimit logLimit = new LogLimit();
    private volatile boolean stopped;

    public DownstreamRouter(String sink, List<CompiledDownstreamRoute> routes, LocalBroker local,
            ScheduledExecutorService scheduler, BridgeMetrics metrics, int maxAttempts) {
        this.sink = sink;
        this.routes = List.copyOf(routes);
        this.local = local;
        this.scheduler = scheduler;
        this.maxAttempts = maxAttempts;
        this.unrouted = metrics.dropped(Direction.DOWNSTREAM, ANY_ROUTE, sink, "no-route");
        this.refused = metrics.dropped(Direction.DOWNSTREAM, ANY_ROUTE, sink, "refused");
        this.timedOut = metrics.dropped(Direction.DOWNSTREAM, ANY_ROUTE, sink, "no-response");
        this.rejectedBySink = metrics.dropped(Direction.DOWNSTREAM, ANY_ROUTE, sink,
                "invalid-topic");
    }

    @Override
    public CompletionStage<Void> onMessage(InboundMessage message) {
        if (stopped) {
            return CompletableFuture.failedFuture(new IllegalStateException("the bridge is stopping"));
        }
        Optional<CompletableFuture<Void>> joined = join(message);
        if (joined.isPresent()) {
            return joined.get();
        }
        long receivedAt = System.currentTimeMillis();
        boolean published = message.lastingId() && message.id().map(deliveries::deliveredBefore).orElse(false);
        boolean redelivery = published || message.id().map(deliveries::givenUpBefore).orElse(false);
        String[] levels = Topics.levels(message.topic());
        List<CompiledDownstreamRoute> matched = new ArrayList<>(1);
        List<CompiledDownstreamRoute.Publish> publishes = new ArrayList<>(1);
        boolean anyRoute = false;
        for (CompiledDownstreamRoute route : routes) {
            Optional<CompiledDownstreamRoute.Result> result =
                    route.render(message.topic(), levels, message.payload(), receivedAt);
            if (result.isEmpty()) {
                continue;
            }
            anyRoute = true;
            (redelivery ? route.redelivered() : route.received()).increment();
            if (result.get() instanceof CompiledDownstreamRoute.Rejected rejected) {
                route.invalid().increment();
                warn("rejected", route.name(), null, "rejected a cloud message (acknowledged, not published locally): {}",
                        rejected.reason());
            } else {
                matched.add(route);
                publishes.add((CompiledDownstreamRoute.Publish) result.get());
            }
        }
        if (published) {
            return CompletableFuture.completedFuture(null); // published already: acknowledge the redelivery
        }
        if (publishes.isEmpty()) {
            if (!anyRoute) {
                unrouted.increment();
                log.atDebug().addKeyValue("sink", sink).log("no downstream route matches a cloud message");
            }
            return CompletableFuture.completedFuture(null);
        }
        DownstreamDelivery delivery;
        CompletableFuture<Void> stage;
        synchronized (deliveries) {
            // Another delivery of the same message may have started while this one was rendered.
            joined = join(message);
            if (joined.isPresent()) {
                return joined.get();
            }
            DownstreamDelivery[] self = new DownstreamDelivery[1];
            delivery = new DownstreamDelivery(message.id(), matched, () -> deliveries.ended(self[0], false));
            self[0] = delivery;
            deliveries.add(delivery);
            stage = delivery.attach().orElseThrow();
        }
        List<CompletableFuture<Void>> all = new ArrayList<>(publishes.size());
        for (int i = 0; i < publishes.size(); i++) {
            all.add(publish(delivery, matched.get(i), publishes.get(i), receivedAt, 0));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).whenComplete((v, error) -> {
            if (delivery.abandoned()) {
                return; // already ended, and remembered as given up
            }
            if (error == null && message.lastingId()) {
                message.id().ifPresent(deliveries::deliveredLasting);
            }
            deliveries.ended(delivery, error == null);
            delivery.finish(error == null ? null : Futures.unwrap(error));
        });
        return stage;
    }

    /** Attaches to a delivery of the same message in progress, counting the redelivery. */
    private Optional<CompletableFuture<Void>> join(InboundMessage message) {
        if (message.id().isEmpty()) {
            return Optional.empty();
        }
        synchronized (deliveries) {
            Optional<DownstreamDelivery> running = deliveries.inProgress(message.id().get());
            if (running.isEmpty()) {
                return Optional.empty();
            }
            Optional<CompletableFuture<Void>> stage = running.get().attach();
            stage.ifPresent(s -> running.get().routes().forEach(r -> r.redelivered().increment()));
            return stage;
        }
    }

    private CompletableFuture<Void> publish(DownstreamDelivery delivery, CompiledDownstreamRoute route,
            CompiledDownstreamRoute.Publish publish, long receivedAt, int attempt) {
        if (delivery.abandoned()) {
            return CompletableFuture.failedFuture(new IllegalStateException("given up"));
        }
        CompletableFuture<Void> sent;
        try {
            sent = local.publish(publish.topic(), publish.payload(), publish.retain(), publish.properties());
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        if (!delivery.track(sent)) {
            return CompletableFuture.failedFuture(new IllegalStateException("given up"));
        }
        CompletableFuture<Void> attemptDone = sent;
        return sent.handle((ok, error) -> {
            delivery.untrack(attemptDone);
            if (error == null) {
                route.meters().forwarded().increment();
                route.meters().forwardedBytes().increment(publish.payload().length);
                route.meters().latency().record(
                        Math.max(0, System.currentTimeMillis() - receivedAt), TimeUnit.MILLISECONDS);
                return CompletableFuture.<Void>completedFuture(null);
            }
            Throwable cause = Futures.unwrap(error);
            if (delivery.abandoned()) {
                return CompletableFuture.<Void>failedFuture(cause); // withdrawn: not a failure of the broker
            }
            boolean refusedByBroker = cause instanceof PublishRejectedException;
            // Larger than the local broker's maximum packet size, or not a valid MQTT publish: no retry
            // will change that, and retrying held the cloud message unacknowledged for ever.
            boolean neverTaken = cause instanceof PacketTooLargeException || cause instanceof InvalidPublishException;
            (refusedByBroker || neverTaken ? route.meters().failedRejected() : route.meters().failedRetry())
                    .increment();
            if (stopped) {
                return CompletableFuture.<Void>failedFuture(cause);
            }
            if (neverTaken || refusedByBroker && attempt + 1 >= maxAttempts) {
                refused.increment();
                warn("refused", route.name(), publish.topic(),
                        "the local broker refused a cloud message " + (attempt + 1) + " times, dropping it: {}",
                        cause.getMessage());
                return CompletableFuture.<Void>completedFuture(null);
            }
            long delay = BackoffDelays.millis(RETRY, attempt);
            warn("retry", route.name(), publish.topic(), "local publish failed, retrying with backoff: {}",
                    cause.toString());
            CompletableFuture<Void> retried = new CompletableFuture<>();
            ScheduledFuture<?> timer = scheduler.schedule(() -> publish(delivery, route, publish, receivedAt, attempt + 1)
                    .whenComplete((v, e) -> {
                        if (e == null) {
                            retried.complete(null);
                        } else {
                            retried.completeExceptionally(e);
                        }
                    }), delay, TimeUnit.MILLISECONDS);
            if (!delivery.track(timer)) {
                retried.completeExceptionally(new IllegalStateException("given up"));
            }
            retried.whenComplete((v, e) -> delivery.untrack(timer));
            return retried;
        }).thenCompose(f -> f);
    }

    private void warn(String kind, String route, String topic, String message, Object argument) {
        LogLimit.Pass pass = logLimit.admit(kind);
        if (!pass.logs()) {
            return;
        }
        var event = log.atWarn().addKeyValue("route", route).addKeyValue("sink", sink);
        if (topic != null) {
            event = event.addKeyValue("topic", topic);
        }
        if (pass.suppressed() > 0) {
            event = event.addKeyValue("suppressed", pass.suppressed());
        }
        event.log(message + pass.suffix(), argument);
    }

    @Override
    public void onRejected(String reason) {
        rejectedBySink.increment();
        warn("rejected", ANY_ROUTE, null,
                "rejected a cloud message (acknowledged, not published locally): {}", reason);
    }

    @Override
    public CompletionStage<RequestOutcome> onRequest(InboundMessage request, Duration timeout) {
        if (stopped) {
            return CompletableFuture.completedFuture(new RequestOutcome.Failed("the bridge is stopping"));
        }
        long receivedAt = System.currentTimeMillis();
        String[] levels = Topics.levels(request.topic());
        for (CompiledDownstreamRoute route : routes) {
            Optional<CompiledDownstreamRoute.Result> result =
                    route.render(request.topic(), levels, request.payload(), receivedAt);
            if (result.isEmpty()) {
                continue;
            }
            route.received().increment();
            if (result.get() instanceof CompiledDownstreamRoute.Rejected rejected) {
                route.invalid().increment();
                warn("rejected", route.name(), null, "rejected a cloud request: {}", rejected.reason());
                return CompletableFuture.completedFuture(new RequestOutcome.Invalid(rejected.reason()));
            }
            CompiledDownstreamRoute.Publish publish = (CompiledDownstreamRoute.Publish) result.get();
            return local.request(publish.topic(), publish.payload(), publish.properties(), timeout)
                    .handle((response, error) -> {
                        if (error == null) {
                            route.meters().forwarded().increment();
                            route.meters().forwardedBytes().increment(publish.payload().length);
                            route.meters().latency().record(
                                    Math.max(0, System.currentTimeMillis() - receivedAt), TimeUnit.MILLISECONDS);
                            return (RequestOutcome) new RequestOutcome.Answered(response.payload(),
                                    response.userProperties(), response.contentType());
                        }
                        Throwable cause = Futures.unwrap(error);
                        if (cause instanceof LocalRequestTimeoutException) {
                            timedOut.increment();
                            return new RequestOutcome.TimedOut(timeout);
                        }
                        route.meters().failedRetry().increment();
                        warn("request", route.name(), publish.topic(),
                                "a cloud request could not be published locally: {}", cause.toString());
                        return new RequestOutcome.Failed(cause.getMessage() == null ? cause.toString()
                                : cause.getMessage());
                    });
        }
        unrouted.increment();
        log.atDebug().addKeyValue("sink", sink).addKeyValue("topic", request.topic())
                .log("no downstream route matches a cloud request");
        return CompletableFuture.completedFuture(new RequestOutcome.NoRoute());
    }

    /**
     * New messages are refused (not acknowledged to the cloud), retries end, and deliveries in
     * progress fail with their local publishes withdrawn: the cloud redelivers them to the next run.
     */
    public void stop() {
        stopped = true;
        IllegalStateException stopping = new IllegalStateException("the bridge is stopping");
        for (DownstreamDelivery delivery : deliveries.inProgress()) {
            deliveries.ended(delivery, false);
            delivery.finish(stopping);
        }
    }
}
