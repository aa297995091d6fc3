package io.edgebridge.core.internal.health;

import io.edgebridge.config.ProbeConfig;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.support.Futures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import io.edgebridge.core.support.LogLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether the bridge is live and ready, and sends sink probes.
 *
 * <p>A sink is ready when it is connected, names no {@link Sink#problem()}, and is not stalled. Stalled means it has work (sends open,
 * a backlog, or an unanswered probe) and nothing was acknowledged within the ready window, counted
 * from the later of the last acknowledgement and the moment the work appeared: an idle connected
 * sink is ready, one whose connection stays open but never acknowledges turns unready within the
 * window. Samples once a second and on every request; the sinks are asked for each time, never
 * kept, because a reload may replace them.
 */
public final class HealthMonitor {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);
    /** A failing sink fails every probe: one line per sink and interval. */
    private final LogLimit probeLog = new LogLimit();
    private static final long TICK_MILLIS = 1000;

    private final Supplier<List<SinkSample>> sinks;
    private final BooleanSupplier localConnected;
    private final Supplier<Optional<String>> spoolProblem;
    private final Supplier<Duration> readyWindow;
    private final String clientId;
    private final BridgeMetrics metrics;
    private final LongSupplier clock;
    private final Map<String, SinkWatch> watches = new HashMap<>();
    private final Map<String, Boolean> lastReady = new HashMap<>();

    private volatile boolean stopping;
    private ScheduledFuture<?> ticks;

    /**
     * @param sinks          the bridge's current sinks, asked for on every sample
     * @param localConnected whether the bridge's session on the local broker is up
     * @param spoolProblem   why the spool refuses new messages (it cannot write), while it does
     * @param readyWindow    the current {@code admin.readyWindow}
     * @param clientId       named in probe messages
     * @param clock          epoch milliseconds
     */
    public HealthMonitor(Supplier<List<SinkSample>> sinks, BooleanSupplier localConnected,
            Supplier<Optional<String>> spoolProblem, Supplier<Duration> readyWindow, String clientId,
            BridgeMetrics metrics, LongSupplier clock) {
        this.sinks = sinks;
        this.localConnected = localConnected;
        this.spoolProblem = spoolProblem;
        this.readyWindow = readyWindow;
        this.clientId = clientId;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Samples (and probes) now and then every second on {@code scheduler}. */
    public synchronized void start(ScheduledExecutorService scheduler) {
        ticks = scheduler.scheduleWithFixedDelay(this::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** From now on the bridge is not live (nor ready), and no more probes are sent. */
    public synchronized void stop() {
        stopping = true;
        if (ticks != null) {
            ticks.cancel(false);
        }
    }

    public boolean live() {
        return !stopping;
    }

    /** The health now. */
    public HealthReport report() {
        synchronized (this) {
            return evaluate(clock.getAsLong(), null);
        }
    }

    /** One sample: evaluates, logs changes of readiness, sends the probes that are due. */
    public void tick() {
        try {
            List<Runnable> probes = new ArrayList<>();
            HealthReport report;
            synchronized (this) {
                report = evaluate(clock.getAsLong(), probes);
                logChanges(report);
            }
            probes.forEach(Runnable::run); // outside the lock: a sink may complete the send on this thread
        } catch (RuntimeException e) {
            log.warn("health check failed", e);
        }
    }

    /** Guarded by this; {@code probes} collects the probe sends that are due (null: send none). */
    private HealthReport evaluate(long now, List<Runnable> probes) {
        long window = readyWindow.get().toMillis();
        List<SinkSample> samples = sinks.get();
        Set<String> names = new HashSet<>();
        List<SinkHealth> health = new ArrayList<>(samples.size());
        for (SinkSample sample : samples) {
            names.add(sample.name());
            SinkWatch watch = watches.get(sample.name());
            if (watch == null || watch.sink != sample.sink()) {
                watch = new SinkWatch(sample.sink()); // new, or replaced by a reload: start afresh
                watches.put(sample.name(), watch);
            }
            if (probes != null && !stopping) {
                dueProbe(sample, watch, now, window).ifPresent(probes::add);
            }
            health.add(judge(sample, watch, now, window));
        }
        watches.keySet().retainAll(names);
        return new HealthReport(!stopping, localConnected.getAsBoolean(), health, spoolProblem.get());
    }

    private SinkHealth judge(SinkSample sample, SinkWatch watch, long now, long window) {
        long workSince = watch.observe(sample, now);
        long lastSuccess = watch.lastSuccess(sample);
        boolean connected = sample.sink().isConnected();
        boolean stalled = workSince != 0 && now - Math.max(lastSuccess, workSince) >= window;
        Optional<String> problem = Optional.empty();
        Optional<String> reported = connected ? sample.sink().problem() : Optional.empty();
        if (!connected) {
            problem = Optional.of("not connected");
        } else if (reported.isPresent()) {
            problem = reported;
        } else if (stalled) {
            problem = Optional.of("stalled: " + work(sample, watch) + " and nothing acknowledged for "
                    + (now - Math.max(lastSuccess, workSince)) / 1000 + " s (readyWindow " + window / 1000 + " s)");
        }
        return new SinkHealth(sample.name(), sample.config().type(), sample.config().required(), connected,
                problem.isEmpty(), problem, SinkWatch.time(lastSuccess), sample.inFlight(), sample.backlog(),
                watch.probeState(sample.config().probe()));
    }

    private static String work(SinkSample sample, SinkWatch watch) {
        List<String> parts = new ArrayList<>();
        if (sample.inFlight() > 0) {
            parts.add(sample.inFlight() + " sends open");
        }
        if (sample.backlog() > 0) {
            parts.add(sample.backlog() + " messages waiting");
        }
        if (watch.probePendingSince != 0) {
            parts.add("a probe unanswered");
        }
        return String.join(", ", parts);
    }

    // ------------------------------------------------------------------ probes

    private Optional<Runnable> dueProbe(SinkSample sample, SinkWatch watch, long now, long window) {
        Optional<ProbeConfig> config = sample.config().probe();
        if (config.isEmpty()) {
            return Optional.empty();
        }
        long interval = config.get().interval().toMillis();
        SinkWatch.Probe open = watch.inFlight;
        if (open != null && now - open.sentAt >= Math.max(interval, window)) {
            settle(sample.name(), watch, open, "not acknowledged within " + Math.max(interval, window) / 1000 + " s");
        }
        if (watch.inFlight != null || now - Math.max(watch.lastSuccess(sample), watch.probeSentAt) < interval) {
            return Optional.empty();
        }
        SinkWatch.Probe probe = new SinkWatch.Probe(now);
        watch.inFlight = probe;
        watch.probeSentAt = now;
        if (watch.probePendingSince == 0) {
            watch.probePendingSince = now;
        }
        OutboundMessage message = ProbeMessage.create(config.get(), clientId, sample.name(), now);
        Sink sink = sample.sink();
        String name = sample.name();
        return Optional.of(() -> {
            CompletionStage<Void> sent;
            try {
                sent = sink.send(message);
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            sent.whenComplete((ok, error) -> onProbeResult(name, watch, probe, error));
        });
    }

    private synchronized void onProbeResult(String name, SinkWatch watch, SinkWatch.Probe probe, Throwable error) {
        if (error == null) {
            // Even a probe already given up on proves the sink now.
            watch.probeOkAt = Math.max(watch.probeOkAt, clock.getAsLong());
            watch.probePendingSince = 0;
            watch.lastProbeFailure = null;
            if (!probe.settled) {
                probe.settled = true;
                metrics.probes(name, true).increment();
            }
            if (watch.inFlight == probe) {
                watch.inFlight = null;
            }
        } else if (!probe.settled) {
            Throwable cause = Futures.unwrap(error);
            settle(name, watch, probe, cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        }
    }

    /** A probe failed or timed out: counted, and the sink stays unproven until something succeeds. */
    private void settle(String name, SinkWatch watch, SinkWatch.Probe probe, String reason) {
        probe.settled = true;
        if (watch.inFlight == probe) {
            watch.inFlight = null;
        }
        watch.lastProbeFailure = reason;
        metrics.probes(name, false).increment();
        LogLimit.Pass pass = probeLog.admit(name);
        if (pass.logs()) {
            log.atWarn().addKeyValue("sink", name).log("probe failed: {}{}", reason, pass.suffix());
        }
    }

    private void logChanges(HealthReport report) {
        for (SinkHealth sink : report.sinks()) {
            Boolean before = lastReady.put(sink.name(), sink.ready());
            if (before != null && before != sink.ready()) {
                if (sink.ready()) {
                    log.atInfo().addKeyValue("sink", sink.name()).log("sink is ready again");
                } else {
                    log.atWarn().addKeyValue("sink", sink.name()).log("sink is not ready: {}",
                            sink.problem().orElse("unknown"));
                }
            }
        }
        lastReady.keySet().retainAll(report.sinks().stream().map(SinkHealth::name).toList());
    }
}
