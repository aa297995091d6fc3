package io.edgebridge.core.internal.runtime;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.delivery.DeadLetters;
import io.edgebridge.core.internal.delivery.SinkPump;
import io.edgebridge.core.internal.delivery.UpstreamIntake;
import io.edgebridge.core.internal.health.SinkSample;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.reload.ReloadPlan;
import io.edgebridge.core.internal.reload.ReloadPlanner;
import io.edgebridge.core.internal.reload.RunningState;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running parts of a bridge and their lifecycle: the spool, the local broker with intake, the
 * dead-letter publisher and the sinks. Starts them in the order that makes intake go live last,
 * reloads them by {@link ReloadPlan}, and stops them in the order that keeps every accepted
 * message. Its callers serialise start, reload and stop.
 */
public final class BridgeSupervisor {

    private static final Logger log = LoggerFactory.getLogger(BridgeSupervisor.class);

    private final BridgeMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final Map<String, SinkFactory> factories;
    private final Function<String, SinkContext> contexts;

    private volatile Spool spool;
    private volatile LocalBroker local;
    private volatile SinkRuntimes sinks;
    private UpstreamIntake intake;

    /**
     * @param factories the sink types, by type
     * @param contexts  the context a sink of the given name is created with
     */
    public BridgeSupervisor(BridgeMetrics metrics, ScheduledExecutorService scheduler,
            Map<String, SinkFactory> factories, Function<String, SinkContext> contexts) {
        this.metrics = metrics;
        this.scheduler = scheduler;
        this.factories = factories;
        this.contexts = contexts;
    }

    /**
     * Opens the spool, creates the local broker, starts every sink (members before failover groups),
     * releases the cursors of sinks no longer configured, then starts intake and waits until it is
     * live. On failure the caller stops what was started ({@link #stop()}).
     */
    public void start(BridgeConfig config, RouteTable routes) throws Exception {
        Spool opened = Spool.open(config.spool(), System::currentTimeMillis);
        spool = opened;
        opened.dropHandler(new DropAccounting(opened, this::pumpsNow));
        metrics.gauge(BridgeMeter.SPOOL_ENTRIES, opened::entryCount);
        metrics.gauge(BridgeMeter.SPOOL_BYTES, opened::bytes);
        metrics.gauge(BridgeMeter.SPOOL_WRITABLE, () -> opened.writable() ? 1 : 0);
        metrics.functionCounter(BridgeMeter.SPOOL_WRITE_FAILURES, opened, Spool::writeFailures);

        local = LocalBrokers.create(config, routes, metrics);
        DeadLetters deadLetters = new DeadLetters(config.deadLetter(), local);
        sinks = new SinkRuntimes(metrics, scheduler, factories, contexts, opened, local, deadLetters,
                config.deadLetter().maxAttempts());
        for (SinkConfig sinkConfig : ReloadPlanner.membersFirst(config.sinks().values())) {
            sinks.launch(sinkConfig, routes);
        }
        sinks.releaseCursorsWithoutPump();

        intake = new UpstreamIntake(routes, opened, System::currentTimeMillis);
        LocalBrokers.awaitIntake(config, local.start(intake, routes.intakeSubscriptions()));
    }

    /** Whether intake runs (the bridge started and has not stopped): only then can it reload. */
    public boolean running() {
        return intake != null;
    }

    /** What the reload planner needs to know of the running sinks and the spool. */
    public RunningState runningState() {
        Map<String, SinkRuntime> current = runtimes();
        Set<String> pumping = current.values().stream().filter(r -> r.pump != null).map(SinkRuntime::name)
                .collect(Collectors.toSet());
        return new RunningState(List.copyOf(current.keySet()), pumping, spool.cursorNames(), factories.keySet());
    }

    /** Carries out a reload plan; the sinks that failed to start. */
    public List<String> apply(ReloadPlan plan, RouteTable table) {
        return new ReloadExecutor(sinks, spool, local, intake).execute(plan, table);
    }

    /**
     * Graceful stop: stop intake, let open sends finish (bounded), close sinks, then the local
     * broker, the timers and the spool. Everything not acknowledged stays in the spool.
     */
    public void stop() {
        // The local broker first: it refuses new device messages and lets the bridge take what it
        // already acknowledged (embedded MQTT intake), which needs the spool intake still open.
        if (local != null) {
            local.stopIntake();
        }
        if (intake != null) {
            intake.stop();
        }
        if (sinks != null) {
            sinks.stopAll();
        }
        if (local != null) {
            local.close();
        }
        log.debug("local broker closed");
        scheduler.shutdownNow();
        if (spool != null) {
            spool.close();
        }
    }

    // ------------------------------------------------------------------ status

    /** The spool, once opened (null before). */
    public Spool spool() {
        return spool;
    }

    public boolean isLocalConnected() {
        LocalBroker broker = local;
        return broker != null && broker.isConnected();
    }

    /** Why the spool refuses new messages now (it cannot write), if it does. */
    public Optional<String> spoolProblem() {
        Spool current = spool;
        return current == null ? Optional.empty() : current.writeProblem();
    }

    /** The sinks running now, by name, in configuration order; a snapshot. */
    public Map<String, Sink> sinks() {
        Map<String, Sink> view = new LinkedHashMap<>();
        runtimes().forEach((name, runtime) -> view.put(name, runtime.sink));
        return Collections.unmodifiableMap(view);
    }

    /** The pumps running now, by sink name; a snapshot. */
    public Map<String, SinkPump> pumps() {
        Map<String, SinkPump> view = new LinkedHashMap<>();
        runtimes().forEach((name, runtime) -> {
            SinkPump pump = runtime.pump;
            if (pump != null) {
                view.put(name, pump);
            }
        });
        return Collections.unmodifiableMap(view);
    }

    /** What health checks read about each current sink, fresh every time. */
    public List<SinkSample> sinkSamples() {
        List<SinkSample> samples = new ArrayList<>();
        for (SinkRuntime runtime : runtimes().values()) {
            SinkPump pump = runtime.pump;
            samples.add(pump == null ? new SinkSample(runtime.config, runtime.sink, 0, 0, 0)
                    : new SinkSample(runtime.config, runtime.sink, pump.inFlight(), pump.backlog(),
                            pump.lastSuccessAt()));
        }
        return samples;
    }

    /** The stats line's part after the config version: spool, each sink, the local broker. */
    public String stateSummary() {
        StringBuilder sb = new StringBuilder(" | spool entries=").append(spool.entryCount()).append(" bytes=")
                .append(spool.bytes()).append(" | sinks");
        for (Map.Entry<String, SinkRuntime> e : runtimes().entrySet()) {
            SinkPump pump = e.getValue().pump;
            sb.append(' ').append(e.getKey()).append('(')
                    .append(e.getValue().sink.isConnected() ? "connected" : "DISCONNECTED");
            if (pump != null) {
                sb.append(" inflight=").append(pump.inFlight()).append(" backlog=").append(pump.backlog());
            }
            sb.append(')');
        }
        sb.append(" | local ").append(isLocalConnected() ? "connected" : "DISCONNECTED");
        return sb.toString();
    }

    private Map<String, SinkRuntime> runtimes() {
        SinkRuntimes current = sinks;
        return current == null ? Map.of() : current.current();
    }

    private List<SinkPump> pumpsNow() {
        return runtimes().values().stream().map(r -> r.pump).filter(java.util.Objects::nonNull).toList();
    }
}
