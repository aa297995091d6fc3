package io.edgebridge.core.internal.runtime;

import io.edgebridge.config.Direction;
import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.delivery.DeadLetters;
import io.edgebridge.core.internal.delivery.DownstreamRouter;
import io.edgebridge.core.internal.delivery.SinkPump;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.route.SinkRoutes;
import io.edgebridge.core.internal.sink.failover.FailoverSink;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running sinks: creates, starts and retires each sink with its pump (reading the spool at the
 * sink's cursor) and its downstream router, and releases the cursors of sinks that are gone. The set
 * is an immutable snapshot, replaced on every change, so readers (health, status, drop accounting)
 * never lock. Changed only under the bridge's lock (start, reload, stop).
 */
final class SinkRuntimes {

    private static final Logger log = LoggerFactory.getLogger(SinkRuntimes.class);

    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    static final Duration SINK_CLOSE_TIMEOUT = Duration.ofSeconds(3);
    static final Duration SINK_START_TIMEOUT = Duration.ofSeconds(30);

    private final BridgeMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final Map<String, SinkFactory> factories;
    private final Function<String, SinkContext> contexts;
    private final Spool spool;
    private final LocalBroker local;
    private final DeadLetters deadLetters;
    private final int deadLetterMaxAttempts;
    private volatile Map<String, SinkRuntime> runtimes = Map.of();

    /** {@code contexts}: the context a sink of the given name is created with. */
    SinkRuntimes(BridgeMetrics metrics, ScheduledExecutorService scheduler, Map<String, SinkFactory> factories,
            Function<String, SinkContext> contexts, Spool spool, LocalBroker local, DeadLetters deadLetters,
            int deadLetterMaxAttempts) {
        this.metrics = metrics;
        this.scheduler = scheduler;
        this.factories = factories;
        this.contexts = contexts;
        this.spool = spool;
        this.local = local;
        this.deadLetters = deadLetters;
        this.deadLetterMaxAttempts = deadLetterMaxAttempts;
    }

    /** The running sinks in configuration order (as of the last change); a snapshot. */
    Map<String, SinkRuntime> current() {
        return runtimes;
    }

    SinkRuntime get(String name) {
        return runtimes.get(name);
    }

    /**
     * Creates and starts one sink with its downstream router and, when it has upstream routes, its
     * pump, which resumes at the sink's stored cursor (a new sink starts at the spool's tail); adds
     * it to the running sinks. On failure whatever was started is stopped again and the error thrown.
     */
    void launch(SinkConfig sinkConfig, RouteTable table) throws Exception {
        String name = sinkConfig.name();
        Sink sink = createSink(sinkConfig);
        SinkRuntime runtime = new SinkRuntime(sinkConfig, sink);
        runtime.gauges.add(metrics.sinkGauge(BridgeMeter.CONNECTED, name, sink, s -> s.isConnected() ? 1 : 0));
        try {
            if (!table.downstreamFor(name).isEmpty()) {
                runtime.router = new DownstreamRouter(name, table.downstreamFor(name), local, scheduler, metrics,
                        deadLetterMaxAttempts);
                sink.subscribe(table.downstreamSubscriptions(name), runtime.router).toCompletableFuture()
                        .get(SINK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            sink.start().toCompletableFuture().get(SINK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            SinkRoutes sinkRoutes = table.upstreamFor(name);
            if (!sinkRoutes.isEmpty()) {
                startPump(runtime, sinkRoutes, spool.cursor(name).orElse(spool.committed()));
            }
        } catch (Exception | Error e) {
            retire(runtime);
            throw e;
        }
        runtimes = with(runtimes, name, runtime);
    }

    /** A sink of a configured type, or a failover group over running member sinks. */
    private Sink createSink(SinkConfig sinkConfig) throws Exception {
        if (sinkConfig.options() instanceof FailoverOptions failover) {
            List<Sink> members = new ArrayList<>();
            for (String member : failover.members()) {
                SinkRuntime runtime = runtimes.get(member);
                if (runtime == null) {
                    throw new IllegalStateException("failover group '" + sinkConfig.name() + "': member sink '" + member
                            + "' is not running");
                }
                members.add(runtime.sink);
            }
            return new FailoverSink(sinkConfig.name(), members, failover, metrics.registry(), scheduler,
                    System::nanoTime);
        }
        SinkFactory factory = factories.get(sinkConfig.type());
        if (factory == null) {
            throw new IllegalStateException("no sink factory for type '" + sinkConfig.type() + "'");
        }
        return factory.create(sinkConfig, contexts.apply(sinkConfig.name()));
    }

    void startPump(SinkRuntime runtime, SinkRoutes sinkRoutes, long position) {
        String name = runtime.name();
        SinkPump pump = new SinkPump(name, runtime.sink, sinkRoutes, spool, deadLetters, scheduler, metrics,
                runtime.config.maxInFlight(), runtime.config.rateLimit());
        runtime.pumpGauges.add(metrics.sinkGauge(BridgeMeter.IN_FLIGHT, name, pump, SinkPump::inFlight));
        runtime.pumpGauges.add(metrics.sinkGauge(BridgeMeter.BACKLOG, name, pump, SinkPump::backlog));
        runtime.pump = pump;
        pump.start(position);
    }

    /** Stops a pump (bounded wait for its open sends); its cursor stays in the spool. */
    void stopPump(SinkRuntime runtime) {
        SinkPump pump = runtime.pump;
        if (pump == null) {
            return;
        }
        pump.stop(DRAIN_TIMEOUT).join();
        runtime.pump = null;
        runtime.pumpGauges.forEach(metrics::remove);
        runtime.pumpGauges.clear();
    }

    /** Stops the running sink {@code name} (router, pump, sink) and removes it; its cursor stays. */
    void retire(String name) {
        SinkRuntime runtime = runtimes.get(name);
        if (runtime != null) {
            retire(runtime);
            runtimes = with(runtimes, name, null);
        }
    }

    private void retire(SinkRuntime runtime) {
        if (runtime.router != null) {
            runtime.router.stop();
        }
        stopPump(runtime);
        closeSink(runtime.name(), runtime.sink);
        runtime.gauges.forEach(metrics::remove);
        runtime.gauges.clear();
    }

    /** Puts the running sinks in {@code order} (status and the stats line follow it). */
    void reorder(Collection<String> order) {
        Map<String, SinkRuntime> current = runtimes;
        Map<String, SinkRuntime> ordered = new LinkedHashMap<>();
        for (String name : order) {
            if (current.containsKey(name)) {
                ordered.put(name, current.get(name));
            }
        }
        runtimes = Collections.unmodifiableMap(ordered);
    }

    /**
     * Graceful stop of every sink: routers first, then every pump (open sends get a bounded wait, in
     * parallel), then the sinks close. Everything not acknowledged stays in the spool.
     */
    void stopAll() {
        Collection<SinkRuntime> all = runtimes.values();
        for (SinkRuntime runtime : all) {
            if (runtime.router != null) {
                runtime.router.stop();
            }
        }
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        for (SinkRuntime runtime : all) {
            if (runtime.pump != null) {
                drains.add(runtime.pump.stop(DRAIN_TIMEOUT));
            }
        }
        CompletableFuture.allOf(drains.toArray(new CompletableFuture[0])).join();
        log.debug("sink pumps stopped");
        for (SinkRuntime runtime : all) {
            closeSink(runtime.name(), runtime.sink);
        }
        log.debug("sinks closed");
    }

    private static void closeSink(String name, Sink sink) {
        try {
            sink.close().toCompletableFuture().get(SINK_CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception ex) {
            log.atWarn().addKeyValue("sink", name).log("sink did not close cleanly: {}", ex.toString());
        }
    }

    // ------------------------------------------------------------------ cursors

    /** Releases every cursor without a running pump: a sink removed, failed or without upstream routes. */
    void releaseCursorsWithoutPump() {
        Map<String, SinkRuntime> current = runtimes;
        for (String name : spool.cursorNames()) {
            SinkRuntime runtime = current.get(name);
            if (runtime == null || runtime.pump == null) {
                releaseCursor(name);
            }
        }
    }

    /**
     * Deletes a sink's cursor so it no longer holds the spool; what it had not delivered is counted as
     * dropped ({@code sink-removed}).
     */
    void releaseCursor(String name) {
        OptionalLong cursor = spool.cursor(name);
        if (cursor.isEmpty()) {
            return;
        }
        long position = cursor.getAsLong();
        long undelivered = Math.max(0, spool.committed() - Math.max(position, spool.head()));
        spool.deleteCursor(name);
        if (undelivered > 0) {
            metrics.dropped(Direction.UPSTREAM, "*", name, "sink-removed").increment(undelivered);
        }
        log.atWarn().addKeyValue("sink", name).log(
                "sink is no longer configured for upstream routes; its {} undelivered spool entries are discarded",
                undelivered);
    }

    private static Map<String, SinkRuntime> with(Map<String, SinkRuntime> map, String name, SinkRuntime runtime) {
        Map<String, SinkRuntime> copy = new LinkedHashMap<>(map);
        if (runtime == null) {
            copy.remove(name);
        } else {
            copy.put(name, runtime);
        }
        return Collections.unmodifiableMap(copy);
    }
}
