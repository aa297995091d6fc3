package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.Direction;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.api.RequestOutcome;
import io.edgebridge.core.internal.BackoffDelays;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.local.LocalRequestTimeoutException;
import io.edgebridge.core.internal.mqtt.InvalidPublishException;
import io.edgebridge.core.internal.mqtt.PacketTooLargeException;
import io.edgebridge.core.internal.mqtt.PublishRejectedException;
import io.edgebridge.core.internal.route.CompiledDownstreamRoute;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
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
 */
public final class DownstreamRouter implements DownstreamHandler {

    private static final Logger log = LoggerFactory.getLogger(DownstreamRouter.class);
    private static final Backoff RETRY = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2);

    private final String sink;
    private final List<CompiledDownstreamRoute> routes;
    private final LocalBroker local;
    private final ScheduledExecutorService scheduler;
    private final int maxAttempts;
    private final Counter unrouted;
    private final Counter refused;
    private final Counter timedOut;
    private volatile boolean stopped;

    public DownstreamRouter(String sink, List<CompiledDownstreamRoute> routes, LocalBroker local,
            ScheduledExecutorService scheduler, BridgeMetrics metrics, int maxAttempts) {
        this.sink = sink;
        this.routes = List.copyOf(routes);
        this.local = local;
        this.scheduler = scheduler;
        this.maxAttempts = maxAttempts;
        this.unrouted = metrics.dropped(Direction.DOWNSTREAM, "*", sink, "no-route");
        this.refused = metrics.dropped(Direction.DOWNSTREAM, "*", sink, "refused");
        this.timedOut = metrics.dropped(Direction.DOWNSTREAM, "*", sink, "no-response");
    }

    @Override
    public CompletionStage<Void> onMessage(InboundMessage message) {
        if (stopped) {
            return CompletableFuture.failedFuture(new IllegalStateException("bridge is stopping"));
        }
        long receivedAt = System.currentTimeMillis();
        String[] levels = Topics.levels(message.topic());
        List<CompletableFuture<Void>> publishes = new ArrayList<>(1);
        boolean matched = false;
        for (CompiledDownstreamRoute route : routes) {
            Optional<CompiledDownstreamRoute.Result> result =
                    route.render(message.topic(), levels, message.payload(), receivedAt);
            if (result.isEmpty()) {
                continue;
            }
            matched = true;
            route.received().increment();
            if (result.get() instanceof CompiledDownstreamRoute.Rejected rejected) {
                route.invalid().increment();
                log.atWarn().addKeyValue("route", route.name()).addKeyValue("sink", sink)
                        .log("rejected a cloud message: {}", rejected.reason());
            } else {
                CompiledDownstreamRoute.Publish publish = (CompiledDownstreamRoute.Publish) result.get();
                publishes.add(publish(route, publish, receivedAt, 0));
            }
        }
        if (!matched) {
            unrouted.increment();
            log.atDebug().addKeyValue("sink", sink).log("no downstream route matches a cloud message");
        }
        return CompletableFuture.allOf(publishes.toArray(new CompletableFuture[0]));
    }

    private CompletableFuture<Void> publish(CompiledDownstreamRoute route, CompiledDownstreamRoute.Publish publish,
            long receivedAt, int attempt) {
        return local.publish(publish.topic(), publish.payload(), publish.retain(), publish.properties())
                .handle((ok, error) -> {
                    if (error == null) {
                        route.meters().forwarded().increment();
                        route.meters().forwardedBytes().increment(publish.payload().length);
                        route.meters().latency().record(
                                Math.max(0, System.currentTimeMillis() - receivedAt), TimeUnit.MILLISECONDS);
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
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
                        log.atWarn().addKeyValue("route", route.name()).addKeyValue("sink", sink)
                                .addKeyValue("topic", publish.topic())
                                .log("local broker refused the message {} times, dropping it: {}", attempt + 1,
                                        cause.getMessage());
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    long delay = BackoffDelays.millis(RETRY, attempt);
                    log.atWarn().addKeyValue("route", route.name()).addKeyValue("sink", sink)
                            .addKeyValue("topic", publish.topic())
                            .log("local publish failed, retrying in {} ms: {}", delay, cause.toString());
                    CompletableFuture<Void> retried = new CompletableFuture<>();
                    scheduler.schedule(() -> publish(route, publish, receivedAt, attempt + 1)
                            .whenComplete((v, e) -> {
                                if (e == null) {
                                    retried.complete(null);
                                } else {
                                    retried.completeExceptionally(e);
                                }
                            }), delay, TimeUnit.MILLISECONDS);
                    return retried;
                })
                .thenCompose(f -> f);
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
                log.atWarn().addKeyValue("route", route.name()).addKeyValue("sink", sink)
                        .log("rejected a cloud request: {}", rejected.reason());
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
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        if (cause instanceof LocalRequestTimeoutException) {
                            timedOut.increment();
                            return new RequestOutcome.TimedOut(timeout);
                        }
                        route.meters().failedRetry().increment();
                        log.atWarn().addKeyValue("route", route.name()).addKeyValue("sink", sink)
                                .addKeyValue("topic", publish.topic())
                                .log("a cloud request could not be published locally: {}", cause.toString());
                        return new RequestOutcome.Failed(cause.getMessage() == null ? cause.toString()
                                : cause.getMessage());
                    });
        }
        unrouted.increment();
        log.atDebug().addKeyValue("sink", sink).addKeyValue("topic", request.topic())
                .log("no downstream route matches a cloud request");
        return CompletableFuture.completedFuture(new RequestOutcome.NoRoute());
    }

    /** New messages are refused (not acknowledged to the cloud) and retries end. */
    public void stop() {
        stopped = true;
    }
}
