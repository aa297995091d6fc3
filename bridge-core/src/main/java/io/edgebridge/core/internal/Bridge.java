package io.edgebridge.core.internal;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.ExternalBrokerConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.admin.AdminServer;
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
import io.edgebridge.core.internal.spool.DropReason;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.internal.stats.StatsLog;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running EdgeBridge: local broker, spool, sinks, a pump per sink and a downstream router per
 * downstream source. {@link #start()} and {@link #stop()} each run once.
 */
public final class Bridge {

    private static final Logger log = LoggerFactory.getLogger(Bridge.class);

    /** How many unacknowledged local messages the broker may push to the bridge's intake session. */
    private static final int INTAKE_RECEIVE_MAXIMUM = 10_000;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration EMBEDDED_START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SINK_CLOSE_TIMEOUT = Duration.ofSeconds(3);

    private final BridgeConfig config;
    private final Map<String, SinkFactory> factories;
    private final BridgeMetrics metrics;
    private final RouteTable routes;
    private final ScheduledExecutorService scheduler;
    private final Map<String, Sink> sinks = new LinkedHashMap<>();
    private final Map<String, SinkPump> pumps = new LinkedHashMap<>();
    private final Map<String, DownstreamRouter> routers = new LinkedHashMap<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final HealthMonitor health;
    private final Instant configLoadedAt = Instant.now();

    /** Read by health checks and the admin server on other threads: replaced whole, never mutated. */
    private volatile Map<String, Sink> sinkView = Map.of();
    private volatile Map<String, SinkPump> pumpView = Map.of();
    private volatile int configVersion = 1;
    private volatile Instant startedAt = Instant.now();
    private volatile AdminServer admin;

    private Spool spool;
    private LocalBroker local;
    private UpstreamIntake intake;

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
        this.health = new HealthMonitor(this::sinkSamples, this::isLocalConnected,
                () -> this.config.admin().readyWindow(), config.local().endpoint().clientId(), metrics,
                System::currentTimeMillis);
    }

    /** Starts everything; on failure, whatever was started is stopped again and the error is thrown. */
    public void start() throws Exception {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        try {
            doStart();
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

        local = createLocalBroker();
        DeadLetters deadLetters = new DeadLetters(config.deadLetter(), local);

        for (SinkConfig sinkConfig : config.sinks().values()) {
            SinkFactory factory = factories.get(sinkConfig.type());
            if (factory == null) {
                throw new IllegalStateException("no sink factory for type '" + sinkConfig.type() + "'");
            }
            Sink sink = factory.create(sinkConfig, new BridgeSinkContext(metrics.registry(), scheduler,
                    config.dataDir().resolve("sinks").resolve(sinkConfig.name())));
            sinks.put(sinkConfig.name(), sink);
            metrics.sinkGauge(BridgeMeter.CONNECTED, sinkConfig.name(), sink, s -> s.isConnected() ? 1 : 0);
            if (!routes.downstreamFor(sinkConfig.name()).isEmpty()) {
                DownstreamRouter router = new DownstreamRouter(sinkConfig.name(), routes.downstreamFor(sinkConfig.name()),
                        local, scheduler, metrics, config.deadLetter().maxAttempts());
                routers.put(sinkConfig.name(), router);
                sink.subscribe(routes.downstreamSubscriptions(sinkConfig.name()), router).toCompletableFuture().join();
            }
            SinkRoutes sinkRoutes = routes.upstreamFor(sinkConfig.name());
            if (!sinkRoutes.isEmpty()) {
                SinkPump pump = new SinkPump(sinkConfig.name(), sink, sinkRoutes, spool, deadLetters, scheduler, metrics,
                        sinkConfig.maxInFlight());
                pumps.put(sinkConfig.name(), pump);
                metrics.sinkGauge(BridgeMeter.IN_FLIGHT, sinkConfig.name(), pump, SinkPump::inFlight);
                metrics.sinkGauge(BridgeMeter.BACKLOG, sinkConfig.name(), pump, SinkPump::backlog);
            }
        }
        forgetRemovedCursors();
        publishComponents();

        for (Sink sink : sinks.values()) {
            sink.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        for (SinkPump pump : pumps.values()) {
            OptionalLong stored = spool.storedCursor(pump.name());
            pump.start(stored.orElse(spool.committed()));
        }

        intake = new UpstreamIntake(routes, spool, System::currentTimeMillis);
        awaitIntake(local.start(intake, routes.intakeSubscriptions()));

        StatsLog stats = new StatsLog(metrics.registry(), this::stateSummary);
        long interval = config.stats().logInterval().toMillis();
        if (interval > 0) {
            scheduler.scheduleAtFixedRate(stats, interval, interval, TimeUnit.MILLISECONDS);
        }
        metrics.gauge(BridgeMeter.LOCAL_CONNECTED, () -> isLocalConnected() ? 1 : 0);
        MqttLinks.eventLoopMetrics().bindTo(metrics.registry());
        startedAt = Instant.now();
        health.start(scheduler);
        if (config.admin().enabled()) {
            admin = AdminServer.start(config.admin(), this);
        }
        log.atInfo().addKeyValue("config", config.fingerprint())
                .log("EdgeBridge started: {} routes, {} sinks, spool {} messages ({} bytes)", config.routes().size(),
                        sinks.size(), spool.entryCount(), spool.bytes());
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

    /** Makes the current sinks and pumps visible to health checks and the admin server. */
    private void publishComponents() {
        sinkView = Collections.unmodifiableMap(new LinkedHashMap<>(sinks));
        pumpView = Collections.unmodifiableMap(new LinkedHashMap<>(pumps));
    }

    /** What health checks read about each current sink, fresh every time. */
    private List<SinkSample> sinkSamples() {
        Map<String, Sink> current = sinkView;
        Map<String, SinkPump> currentPumps = pumpView;
        List<SinkSample> samples = new ArrayList<>(current.size());
        for (SinkConfig sinkConfig : config.sinks().values()) {
            Sink sink = current.get(sinkConfig.name());
            if (sink == null) {
                continue;
            }
            SinkPump pump = currentPumps.get(sinkConfig.name());
            samples.add(pump == null ? new SinkSample(sinkConfig, sink, 0, 0, 0)
                    : new SinkSample(sinkConfig, sink, pump.inFlight(), pump.backlog(), pump.lastSuccessAt()));
        }
        return samples;
    }

    private LocalBroker createLocalBroker() throws Exception {
        MqttLink link = MqttLinks.create(config.local().endpoint(), "local", INTAKE_RECEIVE_MAXIMUM);
        String clientId = config.local().endpoint().clientId();
        if (config.local().broker() instanceof EmbeddedBrokerConfig embedded) {
            return new EmbeddedLocalBroker(embedded, link, clientId);
        }
        ExternalBrokerConfig external = (ExternalBrokerConfig) config.local().broker();
        if (!link.supportsUserProperties() && !routes.downstreamSinks().isEmpty()) {
            log.atWarn().addKeyValue("broker", external.endpoint().displayUri())
                    .log("local broker uses MQTT 3.1.1: downstream messages cannot carry the hop marker; make sure no"
                            + " upstream route matches a downstream route's local topic");
        }
        return new ExternalLocalBroker(link, clientId);
    }

    /** A sink removed from the configuration (or left without upstream routes) no longer pins the spool. */
    private void forgetRemovedCursors() {
        for (String name : spool.storedCursorNames()) {
            if (!pumps.containsKey(name)) {
                long position = spool.storedCursor(name).orElse(spool.committed());
                long undelivered = Math.max(0, spool.committed() - Math.max(position, spool.head()));
                spool.deleteCursor(name);
                if (undelivered > 0) {
                    metrics.dropped(io.edgebridge.config.Direction.UPSTREAM, "*", name, "sink-removed")
                            .increment(undelivered);
                }
                log.atWarn().addKeyValue("sink", name).log(
                        "sink is no longer configured for upstream routes; its {} undelivered spool entries are discarded",
                        undelivered);
            }
        }
    }

    /** Runs on the spool writer before a drop: moves every pump past the range and counts its losses. */
    private void beforeDrop(long from, long to, DropReason reason) {
        Map<SinkPump, Long> firstLost = new LinkedHashMap<>();
        long min = to;
        for (SinkPump pump : pumps.values()) {
            long old = Math.max(pump.claimDropped(to), from);
            if (old < to) {
                firstLost.put(pump, old);
                min = Math.min(min, old);
            }
        }
        if (firstLost.isEmpty()) {
            return;
        }
        spool.scan(min, to, entry -> {
            for (Map.Entry<SinkPump, Long> e : firstLost.entrySet()) {
                if (entry.seq() >= e.getValue()) {
                    e.getKey().countDropped(entry, reason);
                }
            }
        });
    }

    private String stateSummary() {
        StringBuilder sb = new StringBuilder("spool entries=").append(spool.entryCount())
                .append(" bytes=").append(spool.bytes()).append(" | sinks");
        for (Map.Entry<String, Sink> e : sinks.entrySet()) {
            SinkPump pump = pumps.get(e.getKey());
            sb.append(' ').append(e.getKey()).append('(').append(e.getValue().isConnected() ? "connected" : "DISCONNECTED");
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
            if (intake != null) {
                intake.stop();
            }
            if (local != null) {
                local.stopIntake();
            }
            routers.values().forEach(DownstreamRouter::stop);
            List<CompletableFuture<Void>> drains = new ArrayList<>();
            for (SinkPump pump : pumps.values()) {
                drains.add(pump.stop(DRAIN_TIMEOUT));
            }
            CompletableFuture.allOf(drains.toArray(new CompletableFuture[0])).join();
            log.debug("sink pumps stopped");
            for (Map.Entry<String, Sink> e : sinks.entrySet()) {
                try {
                    e.getValue().close().toCompletableFuture().get(SINK_CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (Exception ex) {
                    log.atWarn().addKeyValue("sink", e.getKey()).log("sink did not close cleanly: {}", ex.toString());
                }
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

    public BridgeMetrics metrics() {
        return metrics;
    }

    /** The configuration running now. */
    public BridgeConfig config() {
        return config;
    }

    /** 1 for the configuration the bridge started with, one more for every reload. */
    public int configVersion() {
        return configVersion;
    }

    /** When the running configuration was loaded. */
    public Instant configLoadedAt() {
        return configLoadedAt;
    }

    /** When the bridge finished starting (or was created, before that). */
    public Instant startedAt() {
        return startedAt;
    }

    /** The sinks running now, by name; a snapshot (a reload may replace them). */
    public Map<String, Sink> sinks() {
        return sinkView;
    }

    /** The pumps running now, by sink name; a snapshot (a reload may replace them). */
    public Map<String, SinkPump> pumps() {
        return pumpView;
    }

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

    public boolean isLocalConnected() {
        return local != null && local.isConnected();
    }

    /** Whether every sink reports a connection. */
    public boolean sinksConnected() {
        return sinks.values().stream().allMatch(Sink::isConnected);
    }

    public Spool spool() {
        return spool;
    }

    public String statsLine() {
        return new StatsLog(metrics.registry(), this::stateSummary).line();
    }
}
