package io.edgebridge.core.internal;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.admin.AdminServer;
import io.edgebridge.core.internal.admin.AdminView;
import io.edgebridge.core.internal.delivery.SinkPump;
import io.edgebridge.core.internal.health.HealthMonitor;
import io.edgebridge.core.internal.mqtt.MqttLinks;
import io.edgebridge.core.internal.reload.ReloadPlan;
import io.edgebridge.core.internal.reload.ReloadPlanner;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.runtime.BridgeSupervisor;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.internal.stats.StatsLog;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running EdgeBridge: local broker, spool, sinks, a pump per sink and a downstream router per
 * downstream source ({@link BridgeSupervisor}), health checks, stats and the admin server. {@link
 * #start()} and {@link #stop()} each run once; {@link #apply} changes the running bridge to a new
 * configuration in between ({@link ReloadPlanner} says what changes, the supervisor carries it out).
 */
public final class Bridge implements AdminView {

    private static final Logger log = LoggerFactory.getLogger(Bridge.class);

    private final BridgeMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final BridgeSupervisor supervisor;
    /** Serialises start, {@link #apply} and stop. */
    private final Object changes = new Object();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private volatile BridgeConfig config;
    private volatile RouteTable routes;
    private volatile int configVersion = 1;
    private volatile Instant configLoadedAt = Instant.now();
    private final HealthMonitor health;
    private volatile Instant startedAt = Instant.now();
    private volatile AdminServer admin;
    private final BridgeConfigControl control = new BridgeConfigControl(this);
    private ScheduledFuture<?> statsTask;

    public Bridge(BridgeConfig config, List<SinkFactory> factories, MeterRegistry registry) {
        this.config = config;
        this.metrics = new BridgeMetrics(registry);
        this.routes = RouteTable.compile(config, metrics);
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = new Thread(r, "bridge-timer");
            t.setDaemon(true);
            return t;
        });
        // Send timeouts are scheduled per message and nearly all cancelled by the answer: drop them
        // from the queue at once instead of holding each until its delay runs out.
        timer.setRemoveOnCancelPolicy(true);
        this.scheduler = timer;
        Map<String, SinkFactory> byType = factories.stream()
                .collect(Collectors.toMap(SinkFactory::type, Function.identity()));
        // dataDir cannot change at run time: every sink's state lives under the one the bridge started with.
        this.supervisor = new BridgeSupervisor(metrics, scheduler, byType, name -> new BridgeSinkContext(
                metrics.registry(), scheduler, config.dataDir().resolve("sinks").resolve(name), control));
        this.health = new HealthMonitor(supervisor::sinkSamples, supervisor::isLocalConnected,
                supervisor::spoolProblem, () -> this.config.admin().readyWindow(), config.local().endpoint().clientId(),
                metrics, System::currentTimeMillis);
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
        supervisor.start(config, routes);
        scheduleStats();
        metrics.gauge(BridgeMeter.LOCAL_CONNECTED, () -> isLocalConnected() ? 1 : 0);
        MqttLinks.eventLoopMetrics().bindTo(metrics.registry());
        startedAt = Instant.now();
        health.start(scheduler);
        if (config.admin().enabled()) {
            admin = AdminServer.start(config.admin(), this);
        }
        Spool spool = supervisor.spool();
        log.atInfo().addKeyValue("config", config.fingerprint()).addKeyValue("configVersion", configVersion)
                .log("EdgeBridge started: {} routes, {} sinks, spool {} messages ({} bytes)", config.routes().size(),
                        supervisor.sinks().size(), spool.entryCount(), spool.bytes());
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

    /**
     * Applies a new configuration by difference while messages flow: sinks added, removed or changed
     * (a changed sink is closed and recreated, resuming at its cursor), routes replaced in intake
     * and in the pumps of unchanged sinks (which keep their connections), local subscriptions
     * updated. Nothing accepted is lost: every spooled message stays in the spool until each sink
     * it is routed to acknowledged it. Sections that cannot change at run time ({@code dataDir},
     * {@code local}, {@code spool}, {@code deadLetter}, {@code admin}) keep their running values and
     * are reported.
     */
    public ReloadResult apply(BridgeConfig next) {
        synchronized (changes) {
            if (!started.get() || stopped.get() || !supervisor.running()) {
                throw new IllegalStateException("the bridge is not running");
            }
            ReloadPlan plan = ReloadPlanner.plan(config, next, supervisor.runningState());
            for (ReloadPlan.Restart restart : plan.restarted()) {
                log.atInfo().addKeyValue("sink", restart.sink()).addKeyValue("because", restart.because())
                        .log("sink '{}' restarts: {} changed", restart.sink(), String.join(", ", restart.because()));
            }
            RouteTable table = RouteTable.compile(plan.effective(), metrics);
            List<String> failed = supervisor.apply(plan, table);

            config = plan.effective();
            routes = table;
            configVersion++;
            configLoadedAt = Instant.now();
            scheduleStats();
            ReloadResult result = new ReloadResult(configVersion, next.fingerprint(), plan.added(), plan.changed(),
                    plan.removed(), failed, plan.needRestart());
            log.atInfo().addKeyValue("configVersion", configVersion).addKeyValue("config", next.fingerprint())
                    .addKeyValue("sinksAdded", result.sinksAdded()).addKeyValue("sinksChanged", result.sinksChanged())
                    .addKeyValue("sinksRemoved", result.sinksRemoved())
                    .log("configuration version {} active: {} routes, {} sinks", configVersion, next.routes().size(),
                            supervisor.sinks().size());
            for (String section : plan.needRestart()) {
                log.atWarn().addKeyValue("section", section)
                        .log("'{}' changed: it takes effect at the next restart; the running value is kept", section);
            }
            return result;
        }
    }

    private String stateSummary() {
        return "config v" + configVersion + supervisor.stateSummary();
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
                supervisor.stop();
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

    /** Completes when {@link #stop()} has finished. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    @Override
    public BridgeMetrics metrics() {
        return metrics;
    }

    public boolean isLocalConnected() {
        return supervisor.isLocalConnected();
    }

    /** Whether every sink reports a connection. */
    public boolean sinksConnected() {
        return supervisor.sinks().values().stream().allMatch(Sink::isConnected);
    }

    /** When the bridge finished starting (or was created, before that). */
    @Override
    public Instant startedAt() {
        return startedAt;
    }

    /** The sinks running now, by name; a snapshot (a reload may replace them). */
    public Map<String, Sink> sinks() {
        return supervisor.sinks();
    }

    /** The pumps running now, by sink name; a snapshot (a reload may replace them). */
    public Map<String, SinkPump> pumps() {
        return supervisor.pumps();
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
        return Optional.ofNullable(supervisor.sinks().get(name));
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
        return supervisor.spool();
    }

    public String statsLine() {
        return new StatsLog(metrics.registry(), this::stateSummary).line();
    }

    /** What {@link #apply} did. */
    public record ReloadResult(int version, String fingerprint, List<String> sinksAdded, List<String> sinksChanged,
            List<String> sinksRemoved, List<String> sinksFailed, List<String> needRestart) {
    }
}
