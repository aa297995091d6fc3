package io.edgebridge.core.internal;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.DownstreamRoute;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.ExternalBrokerConfig;
import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.admin.AdminServer;
import io.edgebridge.core.internal.admin.AdminView;
import io.edgebridge.core.internal.delivery.DeadLetters;
import io.edgebridge.core.internal.delivery.DownstreamRouter;
import io.edgebridge.core.internal.delivery.SinkPump;
import io.edgebridge.core.internal.delivery.UpstreamIntake;
import io.edgebridge.core.internal.health.HealthMonitor;
import io.edgebridge.core.internal.health.SinkSample;
import io.edgebridge.core.internal.local.EmbeddedLocalBroker;
import io.edgebridge.core.internal.local.ExternalLocalBroker;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.mqtt.MqttLink;
import io.edgebridge.core.internal.mqtt.MqttLinks;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.route.SinkRoutes;
import io.edgebridge.core.internal.sink.failover.FailoverSink;
import io.edgebridge.core.internal.spool.DropReason;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.internal.stats.StatsLog;
import io.edgebridge.core.support.Futures;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running EdgeBridge: local broker, spool, sinks, a pump per sink and a downstream router per
 * downstream source, health checks and the admin server. {@link #start()} and {@link #stop()} each
 * run once; {@link #apply} changes the running bridge to a new configuration in between.
 */
public final class Bridge implements AdminView {

    private static final Logger log = LoggerFactory.getLogger(Bridge.class);

    /** How many unacknowledged local messages the broker may push to the bridge's intake session. */
    private static final int INTAKE_RECEIVE_MAXIMUM = 10_000;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration EMBEDDED_START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SINK_CLOSE_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration SINK_START_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, SinkFactory> factories;
    private final BridgeMetrics metrics;
    private final ScheduledExecutorService scheduler;
    /** Serialises start, {@link #apply} and stop. */
    private final Object changes = new Object();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private volatile BridgeConfig config;
    private volatile RouteTable routes;
    private volatile int configVersion = 1;
    private volatile Instant configLoadedAt = Instant.now();
    /** The running sinks in configuration order: an immutable snapshot, replaced on every change. */
    private volatile Map<String, SinkRuntime> runtimes = Map.of();
    private final HealthMonitor health;
    private volatile Instant startedAt = Instant.now();
    private volatile AdminServer admin;
    private final BridgeConfigControl control = new BridgeConfigControl(this);

    private volatile Spool spool;
    private LocalBroker local;
    private UpstreamIntake intake;
    private DeadLetters deadLetters;
    private ScheduledFuture<?> statsTask;

    public Bridge(BridgeConfig config, List<SinkFactory> factories, MeterRegistry registry) {
        this.config = config;
        this.factories = factories.stream().collect(Collectors.toMap(SinkFactory::type, Function.identity()));
        this.metrics = new BridgeMetrics(registry);
        this.routes = RouteTable.compile(config, metrics);
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "bridge-timer");
            t.setDaemon(true);
            return t;
        });
        this.health = new HealthMonitor(this::sinkSamples, this::isLocalConnected, this::spoolProblem,
                () -> this.config.admin().readyWindow(), config.local().endpoint().clientId(), metrics,
                System::currentTimeMillis);
    }

    /** Starts everything; on failure, whatever was started is stopped again and the error is thrown. */
    public void start() throws Exception {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        try {
            synchronized (changes) {
                doStart();
            }
        } catch (Exception | Error e) {
            stop();
            throw e;
        }
    }

    private void doStart() throws Exception {
        spool = Spool.open(config.spool(), System::currentTimeMillis);
        spool.dropHandler(this::beforeDrop);
        metrics.gauge(BridgeMeter.SPOOL_ENTRIES, spool::entryCount);
        metrics.gauge(BridgeMeter.SPOOL_BYTES, spool::bytes);
        metrics.gauge(BridgeMeter.SPOOL_WRITABLE, () -> spool.writable() ? 1 : 0);
        metrics.functionCounter(BridgeMeter.SPOOL_WRITE_FAILURES, spool, Spool::writeFailures);

        local = createLocalBroker();
        deadLetters = new DeadLetters(config.deadLetter(), local);

        for (SinkConfig sinkConfig : membersFirst(config.sinks().values())) {
            SinkRuntime runtime = launch(sinkConfig, routes);
            runtimes = with(runtimes, sinkConfig.name(), runtime);
        }
        forgetRemovedCursors();

        intake = new UpstreamIntake(routes, spool, System::currentTimeMillis);
        awaitIntake(local.start(intake, routes.intakeSubscriptions()));

        scheduleStats();
        metrics.gauge(BridgeMeter.LOCAL_CONNECTED, () -> isLocalConnected() ? 1 : 0);
        MqttLinks.eventLoopMetrics().bindTo(metrics.registry());
        startedAt = Instant.now();
        health.start(scheduler);
        if (config.admin().enabled()) {
            admin = AdminServer.start(config.admin(), this);
        }
        log.atInfo().addKeyValue("config", config.fingerprint()).addKeyValue("configVersion", configVersion)
                .log("EdgeBridge started: {} routes, {} sinks, spool {} messages ({} bytes)", config.routes().size(),
                        runtimes.size(), spool.entryCount(), spool.bytes());
    }

    private void scheduleStats() {
        if (statsTask != null) {
            statsTask.cancel(false);
            statsTask = null;
        }
        long interval = config.stats().logInterval().toMillis();
        if (interval > 0) {
            StatsLog stats = new StatsLog(metrics.registry(), this::stateSummary);
            statsTask = scheduler.scheduleAtFixedRate(stats, interval, interval, TimeUnit.MILLISECONDS);
        }
    }

    // ------------------------------------------------------------------ sinks

    /**
     * Creates and starts one sink with its downstream router and, when it has upstream routes, its
     * pump, which resumes at the sink's stored cursor (a new sink starts at the spool's tail).
     */
    private SinkRuntime launch(SinkConfig sinkConfig, RouteTable table) throws Exception {
        String name = sinkConfig.name();
        Sink sink = createSink(sinkConfig);
        SinkRuntime runtime = new SinkRuntime(sinkConfig, sink);
        runtime.gauges.add(metrics.sinkGauge(BridgeMeter.CONNECTED, name, sink, s -> s.isConnected() ? 1 : 0));
        try {
            if (!table.downstreamFor(name).isEmpty()) {
                runtime.router = new DownstreamRouter(name, table.downstreamFor(name), local, scheduler, metrics,
                        config.deadLetter().maxAttempts());
                sink.subscribe(table.downstreamSubscriptions(name), runtime.router).toCompletableFuture()
                        .get(SINK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            sink.start().toCompletableFuture().get(SINK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            SinkRoutes sinkRoutes = table.upstreamFor(name);
            if (!sinkRoutes.isEmpty()) {
                startPump(runtime, sinkRoutes, spool.cursor(name).orElse(spool.committed()));
            }
        } catch (Exception | Error e) {
            retire(runtime, false);
            throw e;
        }
        return runtime;
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
        return factory.create(sinkConfig, new BridgeSinkContext(metrics.registry(), scheduler,
                config.dataDir().resolve("sinks").resolve(sinkConfig.name()), control));
    }

    /** Failover groups after the sinks they are made of (which are never groups themselves). */
    private static List<SinkConfig> membersFirst(Collection<SinkConfig> sinks) {
        List<SinkConfig> ordered = new ArrayList<>(sinks);
        ordered.sort(Comparator.comparing(s -> s.options() instanceof FailoverOptions));
        return ordered;
    }

    private void startPump(SinkRuntime runtime, SinkRoutes sinkRoutes, long position) {
        String name = runtime.config.name();
        SinkPump pump = new SinkPump(name, runtime.sink, sinkRoutes, spool, deadLetters, scheduler, metrics,
                runtime.config.maxInFlight(), runtime.config.rateLimit());
        runtime.pumpGauges.add(metrics.sinkGauge(BridgeMeter.IN_FLIGHT, name, pump, SinkPump::inFlight));
        runtime.pumpGauges.add(metrics.sinkGauge(BridgeMeter.BACKLOG, name, pump, SinkPump::backlog));
        runtime.pump = pump;
        pump.start(position);
    }

    /** Stops a pump (bounded wait for its open sends); its cursor stays in the spool. */
    private void stopPump(SinkRuntime runtime) {
        SinkPump pump = runtime.pump;
        if (pump == null) {
            return;
        }
        pump.stop(DRAIN_TIMEOUT).join();
        runtime.pump = null;
        runtime.pumpGauges.forEach(metrics::remove);
        runtime.pumpGauges.clear();
    }

    /** Stops a sink's router and pump and closes the sink; with {@code forget}, its cursor goes too. */
    private void retire(SinkRuntime runtime, boolean forget) {
        String name = runtime.config.name();
        if (runtime.router != null) {
            runtime.router.stop();
        }
        stopPump(runtime);
        closeSink(name, runtime.sink);
        runtime.gauges.forEach(metrics::remove);
        runtime.gauges.clear();
        if (forget) {
            forgetCursor(name);
        }
    }

    private static void closeSink(String name, Sink sink) {
        try {
            sink.close().toCompletableFuture().get(SINK_CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception ex) {
            log.atWarn().addKeyValue("sink", name).log("sink did not close cleanly: {}", ex.toString());
        }
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

    // ------------------------------------------------------------------ reload

    /**
     * Applies a new configuration by difference while messages flow: sinks added, removed or changed
     * (a changed sink is closed and recreated, resuming at its cursor), routes replaced in intake
     * and in the pumps of unchanged sinks (which keep their connections), local subscriptions
     * updated. Nothing accepted is lost: every spooled message stays in the spool until each sink
     * it is routed to acknowledged it. Sections that cannot change at run time ({@code dataDir},
     * {@code local}, {@code spool}, {@code deadLetter}) keep their running values and are reported.
     */
    public ReloadResult apply(BridgeConfig next) {
        synchronized (changes) {
            if (!started.get() || stopped.get() || intake == null) {
                throw new IllegalStateException("the bridge is not running");
            }
            BridgeConfig current = config;
            List<String> needRestart = new ArrayList<>();
            if (!current.dataDir().equals(next.dataDir())) {
                needRestart.add("dataDir");
            }
            if (!current.local().equals(next.local())) {
                needRestart.add("local");
            }
            if (!current.spool().equals(next.spool())) {
                needRestart.add("spool");
            }
            if (!current.deadLetter().equals(next.deadLetter())) {
                needRestart.add("deadLetter");
            }
            if (!current.admin().equals(next.admin())) {
                needRestart.add("admin");
            }
            // Keep what cannot change at run time, so status and the next diff describe what runs.
            BridgeConfig effective = new BridgeConfig(current.dataDir(), current.local(), current.spool(),
                    current.deadLetter(), next.stats(), next.reload(), current.admin(), next.sinks(), next.routes(), next.warnings(),
                    next.files(), next.fingerprint());
            RouteTable table = RouteTable.compile(effective, metrics);

            List<String> added = new ArrayList<>();
            List<String> changed = new ArrayList<>();
            List<String> removed = new ArrayList<>();
            List<String> failed = new ArrayList<>();
            for (String name : current.sinks().keySet()) {
                SinkConfig after = next.sinks().get(name);
                if (after == null) {
                    removed.add(name);
                } else if (!after.sameSettings(current.sinks().get(name))
                        || !sameDownstream(current, next, name)) {
                    changed.add(name);
                }
            }
            for (String name : next.sinks().keySet()) {
                if (!current.sinks().containsKey(name)) {
                    added.add(name);
                }
            }
            // A failover group holds its members' sink objects: it is recreated with any of them.
            for (SinkConfig sink : next.sinks().values()) {
                if (sink.options() instanceof FailoverOptions failover && !changed.contains(sink.name())
                        && !added.contains(sink.name()) && failover.members().stream().anyMatch(changed::contains)) {
                    changed.add(sink.name());
                }
            }
            reorder(added, next);
            reorder(changed, next);

            // 1. New sinks first: their pumps start at the spool's tail, before intake takes their routes.
            for (String name : added) {
                try {
                    runtimes = with(runtimes, name, launch(next.sinks().get(name), table));
                } catch (Exception | Error e) {
                    failed.add(name);
                    log.atError().addKeyValue("sink", name).log("could not start added sink: {}", rootMessage(e));
                }
            }
            // 2. Unchanged sinks get their new routes before intake accepts messages by them, so a
            //    message spooled for a new route is never read by a pump that does not know it.
            for (Map.Entry<String, SinkRuntime> e : runtimes.entrySet()) {
                String name = e.getKey();
                if (added.contains(name) || changed.contains(name) || removed.contains(name)) {
                    continue;
                }
                SinkRuntime runtime = e.getValue();
                runtime.config = next.sinks().get(name);
                SinkRoutes sinkRoutes = table.upstreamFor(name);
                if (runtime.pump != null && sinkRoutes.isEmpty()) {
                    stopPump(runtime);
                } else if (runtime.pump != null) {
                    await(runtime.pump.routes(sinkRoutes), name);
                } else if (!sinkRoutes.isEmpty()) {
                    startPump(runtime, sinkRoutes, spool.committed());
                }
            }
            // 3. Intake: subscribe to new filters, switch the route table, drop old filters.
            CompletableFuture<Void> subscribed = local.updateSubscriptions(table.intakeSubscriptions());
            intake.routes(table);
            // 4. Changed sinks: closed (groups before their members) and recreated (members first); the
            //    new one resumes at the old one's cursor.
            List<String> groupsFirst = new ArrayList<>(changed);
            Collections.reverse(groupsFirst);
            for (String name : groupsFirst) {
                SinkRuntime old = runtimes.get(name);
                if (old != null) {
                    retire(old, false);
                    runtimes = with(runtimes, name, null);
                }
            }
            for (String name : changed) {
                try {
                    runtimes = with(runtimes, name, launch(next.sinks().get(name), table));
                } catch (Exception | Error e) {
                    failed.add(name);
                    log.atError().addKeyValue("sink", name).log("could not restart changed sink: {}", rootMessage(e));
                }
            }
            // 5. Removed sinks: closed (groups first); what they had not delivered is dropped and counted.
            removed.sort(Comparator.comparing(
                    name -> !(current.sinks().get(name).options() instanceof FailoverOptions)));
            for (String name : removed) {
                SinkRuntime old = runtimes.get(name);
                if (old != null) {
                    retire(old, false);
                    runtimes = with(runtimes, name, null);
                }
            }
            // Keep the configured order (status, stats line).
            Map<String, SinkRuntime> ordered = new LinkedHashMap<>();
            for (String name : next.sinks().keySet()) {
                if (runtimes.containsKey(name)) {
                    ordered.put(name, runtimes.get(name));
                }
            }
            runtimes = Collections.unmodifiableMap(ordered);
            forgetRemovedCursors();
            try {
                subscribed.get(SINK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.atWarn().log("local subscriptions not confirmed yet: {}", rootMessage(e));
            }

            config = effective;
            routes = table;
            configVersion++;
            configLoadedAt = Instant.now();
            scheduleStats();
            ReloadResult result = new ReloadResult(configVersion, next.fingerprint(), added, changed, removed, failed,
                    needRestart);
            log.atInfo().addKeyValue("configVersion", configVersion).addKeyValue("config", next.fingerprint())
                    .addKeyValue("sinksAdded", added).addKeyValue("sinksChanged", changed)
                    .addKeyValue("sinksRemoved", removed)
                    .log("configuration version {} active: {} routes, {} sinks", configVersion, next.routes().size(),
                            runtimes.size());
            for (String section : needRestart) {
                log.atWarn().addKeyValue("section", section)
                        .log("'{}' changed: it takes effect at the next restart; the running value is kept", section);
            }
            return result;
        }
    }

    /** Puts failover groups after their members, in place. */
    private static void reorder(List<String> names, BridgeConfig config) {
        List<SinkConfig> ordered = membersFirst(names.stream().map(config.sinks()::get).toList());
        names.clear();
        ordered.forEach(s -> names.add(s.name()));
    }

    private static boolean sameDownstream(BridgeConfig a, BridgeConfig b, String sink) {
        List<DownstreamRoute> before = a.downstreamRoutes().stream().filter(r -> r.sink().equals(sink)).toList();
        List<DownstreamRoute> after = b.downstreamRoutes().stream().filter(r -> r.sink().equals(sink)).toList();
        if (before.size() != after.size()) {
            return false;
        }
        for (int i = 0; i < before.size(); i++) {
            DownstreamRoute x = before.get(i);
            DownstreamRoute y = after.get(i);
            boolean same = x.name().equals(y.name()) && x.from().equals(y.from())
                    && x.target().topic().equals(y.target().topic()) && x.target().payload().equals(y.target().payload())
                    && x.target().retain() == y.target().retain()
                    && x.target().properties().equals(y.target().properties());
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static void await(CompletableFuture<Void> future, String sink) {
        try {
            future.get(SINK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.atWarn().addKeyValue("sink", sink).log("pump did not take the new routes in time: {}", rootMessage(e));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = Futures.unwrap(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /**
     * Waits until intake is live, so "started" means devices' messages are taken from then on. An
     * embedded broker that does not come up, or a subscription the broker refuses, fails the start;
     * an external broker that is not reachable yet only delays intake (the session keeps retrying).
     */
    private void awaitIntake(CompletableFuture<Void> ready) throws Exception {
        boolean embedded = config.local().broker() instanceof EmbeddedBrokerConfig;
        Duration wait = embedded ? EMBEDDED_START_TIMEOUT
                : config.local().endpoint().connectTimeout().plus(Duration.ofSeconds(5));
        try {
            ready.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            if (embedded) {
                throw new IllegalStateException("the embedded broker did not start within " + wait.toSeconds() + " s");
            }
            log.atWarn().addKeyValue("broker", config.local().endpoint().displayUri())
                    .log("local broker not reachable yet; messages are taken from it as soon as it is");
        }
    }

    private LocalBroker createLocalBroker() throws Exception {
        if (config.local().broker() instanceof EmbeddedBrokerConfig embedded) {
            return new EmbeddedLocalBroker(embedded, config.local().endpoint(),
                    endpoint -> MqttLinks.create(endpoint, "local", INTAKE_RECEIVE_MAXIMUM), metrics);
        }
        MqttLink link = MqttLinks.create(config.local().endpoint(), "local", INTAKE_RECEIVE_MAXIMUM);
        String clientId = config.local().endpoint().clientId();
        ExternalBrokerConfig external = (ExternalBrokerConfig) config.local().broker();
        if (!link.supportsUserProperties() && !routes.downstreamSinks().isEmpty()) {
            log.atWarn().addKeyValue("broker", external.endpoint().displayUri())
                    .log("local broker uses MQTT 3.1.1: downstream messages cannot carry the hop marker; make sure no"
                            + " upstream route matches a downstream route's local topic");
        }
        external.sharedGroup().ifPresent(group -> log.atInfo().addKeyValue("group", group)
                .addKeyValue("clientId", clientId)
                .log("shared intake: replicas in group '{}' split the local messages between them; this replica is"
                        + " client '{}'", group, clientId));
        ExternalLocalBroker broker = new ExternalLocalBroker(link, clientId, external.sharedGroup(),
                external.endpoint().displayUri());
        metrics.gauge(BridgeMeter.LOCAL_BROKER_DROPPED, () -> broker.droppedReported().map(n -> (Number) n).orElse(Double.NaN));
        return broker;
    }

    /** A sink removed from the configuration (or left without upstream routes) no longer pins the spool. */
    private void forgetRemovedCursors() {
        Map<String, SinkRuntime> current = runtimes;
        for (String name : spool.cursorNames()) {
            SinkRuntime runtime = current.get(name);
            if (runtime == null || runtime.pump == null) {
                forgetCursor(name);
            }
        }
    }

    private void forgetCursor(String name) {
        java.util.OptionalLong cursor = spool.cursor(name);
        if (cursor.isEmpty()) {
            return;
        }
        long position = cursor.getAsLong();
        long undelivered = Math.max(0, spool.committed() - Math.max(position, spool.head()));
        spool.deleteCursor(name);
        if (undelivered > 0) {
            metrics.dropped(io.edgebridge.config.Direction.UPSTREAM, "*", name, "sink-removed").increment(undelivered);
        }
        log.atWarn().addKeyValue("sink", name).log(
                "sink is no longer configured for upstream routes; its {} undelivered spool entries are discarded",
                undelivered);
    }

    /** Runs on the spool writer before a drop: moves every pump past the range and counts its losses. */
    private void beforeDrop(long from, long to, DropReason reason) {
        Map<SinkPump, SinkPump.Unsent> unsent = new LinkedHashMap<>();
        long min = to;
        for (SinkRuntime runtime : runtimes.values()) {
            SinkPump pump = runtime.pump;
            if (pump == null) {
                continue;
            }
            SinkPump.Unsent lost = pump.claimDropped(to);
            long first = Math.max(lost.first(), from);
            if (first < to) {
                unsent.put(pump, lost);
                min = Math.min(min, first);
            }
        }
        if (unsent.isEmpty()) {
            return;
        }
        spool.scan(min, to, entry -> {
            for (Map.Entry<SinkPump, SinkPump.Unsent> e : unsent.entrySet()) {
                if (e.getValue().contains(entry.seq())) {
                    e.getKey().countDropped(entry, reason);
                }
            }
        });
    }

    /** Why the spool refuses new messages now (it cannot write), if it does. */
    private Optional<String> spoolProblem() {
        Spool current = spool;
        return current == null ? Optional.empty() : current.writeProblem();
    }

    /** What health checks read about each current sink, fresh every time. */
    private List<SinkSample> sinkSamples() {
        List<SinkSample> samples = new ArrayList<>();
        for (SinkRuntime runtime : runtimes.values()) {
            SinkPump pump = runtime.pump;
            samples.add(pump == null ? new SinkSample(runtime.config, runtime.sink, 0, 0, 0)
                    : new SinkSample(runtime.config, runtime.sink, pump.inFlight(), pump.backlog(),
                            pump.lastSuccessAt()));
        }
        return samples;
    }

    private String stateSummary() {
        StringBuilder sb = new StringBuilder("config v").append(configVersion).append(" | spool entries=")
                .append(spool.entryCount()).append(" bytes=").append(spool.bytes()).append(" | sinks");
        for (Map.Entry<String, SinkRuntime> e : runtimes.entrySet()) {
            SinkPump pump = e.getValue().pump;
            sb.append(' ').append(e.getKey()).append('(')
                    .append(e.getValue().sink.isConnected() ? "connected" : "DISCONNECTED");
            if (pump != null) {
                sb.append(" inflight=").append(pump.inFlight()).append(" backlog=").append(pump.backlog());
            }
            sb.append(')');
        }
        sb.append(" | local ").append(local != null && local.isConnected() ? "connected" : "DISCONNECTED");
        return sb.toString();
    }

    /**
     * Graceful stop: stop intake, let open sends finish (bounded), close sinks, then the local
     * broker, then the spool. Everything not acknowledged stays in the spool. Idempotent.
     */
    public void stop() {
        if (!stopped.compareAndSet(false, true)) {
            terminated.join();
            return;
        }
        log.info("EdgeBridge stopping");
        health.stop(); // /health/* answer 503 from now on; the admin server itself closes last
        try {
            synchronized (changes) {
                doStop();
            }
            log.info("EdgeBridge stopped");
        } finally {
            AdminServer server = admin;
            if (server != null) {
                server.close();
            }
            terminated.complete(null);
        }
    }

    private void doStop() {
        // The local broker first: it refuses new device messages and lets the bridge take what it
        // already acknowledged (embedded MQTT intake), which needs the spool intake still open.
        if (local != null) {
            local.stopIntake();
        }
        if (intake != null) {
            intake.stop();
        }
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
            closeSink(runtime.config.name(), runtime.sink);
        }
        log.debug("sinks closed");
        if (local != null) {
            local.close();
        }
        log.debug("local broker closed");
        scheduler.shutdownNow();
        if (spool != null) {
            spool.close();
        }
    }

    /** Completes when {@link #stop()} has finished. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    @Override
    public BridgeMetrics metrics() {
        return metrics;
    }

    public boolean isLocalConnected() {
        return local != null && local.isConnected();
    }

    /** Whether every sink reports a connection. */
    public boolean sinksConnected() {
        return runtimes.values().stream().allMatch(r -> r.sink.isConnected());
    }

    /** When the bridge finished starting (or was created, before that). */
    @Override
    public Instant startedAt() {
        return startedAt;
    }

    /** The sinks running now, by name; a snapshot (a reload may replace them). */
    public Map<String, Sink> sinks() {
        Map<String, Sink> view = new LinkedHashMap<>();
        runtimes.forEach((name, runtime) -> view.put(name, runtime.sink));
        return Collections.unmodifiableMap(view);
    }

    /** The pumps running now, by sink name; a snapshot (a reload may replace them). */
    public Map<String, SinkPump> pumps() {
        Map<String, SinkPump> view = new LinkedHashMap<>();
        runtimes.forEach((name, runtime) -> {
            SinkPump pump = runtime.pump;
            if (pump != null) {
                view.put(name, pump);
            }
        });
        return Collections.unmodifiableMap(view);
    }

    @Override
    public HealthMonitor health() {
        return health;
    }

    /** The admin server's port, once it listens. */
    public OptionalInt adminPort() {
        AdminServer server = admin;
        return server == null ? OptionalInt.empty() : OptionalInt.of(server.port());
    }

    /** The admin server, once it listens (not with {@code admin.enabled: false}). */
    public Optional<AdminServer> adminServer() {
        return Optional.ofNullable(admin);
    }

    /** The running sink named {@code name}, if any (a reload may replace or remove it). */
    public Optional<Sink> sink(String name) {
        SinkRuntime runtime = runtimes.get(name);
        return runtime == null ? Optional.empty() : Optional.of(runtime.sink);
    }

    /** The configuration running now (after reloads, with the sections that need a restart as started). */
    @Override
    public BridgeConfig config() {
        return config;
    }

    /** The running configuration as sinks see it ({@link io.edgebridge.core.api.SinkContext#config()}). */
    public io.edgebridge.core.api.ConfigControl configControl() {
        return control;
    }

    BridgeConfigControl control() {
        return control;
    }

    /** 1 for the configuration the bridge started with, incremented by every applied reload. */
    @Override
    public int configVersion() {
        return configVersion;
    }

    /** When the running configuration was applied. */
    @Override
    public Instant configLoadedAt() {
        return configLoadedAt;
    }

    @Override
    public Spool spool() {
        return spool;
    }

    public String statsLine() {
        return new StatsLog(metrics.registry(), this::stateSummary).line();
    }

    /** What {@link #apply} did. */
    public record ReloadResult(int version, String fingerprint, List<String> sinksAdded, List<String> sinksChanged,
            List<String> sinksRemoved, List<String> sinksFailed, List<String> needRestart) {
    }

    /** One running sink: the sink, its pump when it has upstream routes, its router when downstream. */
    private static final class SinkRuntime {
        volatile SinkConfig config;
        final Sink sink;
        volatile SinkPump pump;
        DownstreamRouter router;
        final List<Meter> gauges = new ArrayList<>();
        final List<Meter> pumpGauges = new ArrayList<>();

        SinkRuntime(SinkConfig config, Sink sink) {
            this.config = config;
            this.sink = sink;
        }
    }
}
