package io.edgebridge.azure;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.microsoft.azure.sdk.iot.device.InternalClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import io.edgebridge.core.api.ConfigControl;
import io.edgebridge.core.api.ConfigControl.ConfigState;
import io.edgebridge.core.api.ConfigControl.DirectionTotals;
import io.edgebridge.core.api.ConfigControl.RoutesChange;
import io.edgebridge.core.api.ConfigControl.Totals;
import io.edgebridge.core.support.EdgeBridgeVersion;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device or module twin. Desired property {@code routes} (with {@code twin.routes}) replaces
 * the running routes: it is validated like the files' routes (a list, or a mapping from route name
 * to route, the form merge patches can edit one route of), applied by difference, or refused with
 * its problems while the old routes keep working. Every change is acknowledged in the reported
 * property {@code edgebridge.routes} ({@code ac} 200 or 400, {@code av} the desired version,
 * {@code ad} what happened), as IoT Plug and Play acknowledges writable properties.
 *
 * <p>Reported property {@code edgebridge} also carries the status, EdgeBridge's version, the
 * running configuration (version, fingerprint, where its routes come from, the last refused change)
 * and a stats snapshot, refreshed after each configuration change and every {@code reportInterval}.
 *
 * <p>A desired-properties patch triggers a read of the whole twin (so the routes are always the
 * hub's whole document, never a local merge), as does every reconnect (patches sent while the
 * client was away are not redelivered). Blocking twin calls run on the sink's own thread.
 */
final class AzureTwin {

    private static final Logger log = LoggerFactory.getLogger(AzureTwin.class);
    static final String REPORTED = "edgebridge";
    static final String ROUTES = "routes";
    private static final int MAX_PROBLEMS_REPORTED = 10;

    private final String sink;
    private final AzureIotHubOptions.Twin options;
    private final ConfigControl control;
    private final ExecutorService worker;
    private final ScheduledExecutorService scheduler;
    private final int timeoutMillis;
    private final Instant startedAt = Instant.now();
    private final String source;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private volatile InternalClient client;
    private volatile boolean subscribed;
    private volatile JsonObject routesAck;
    private volatile AutoCloseable listener;
    private volatile ScheduledFuture<?> periodic;
    private volatile boolean closed;
    private int failures; // worker thread

    /**
     * @param worker runs the blocking twin calls (the sink's connect thread)
     */
    AzureTwin(String sink, AzureIotHubOptions.Twin options, ConfigControl control, ExecutorService worker,
            ScheduledExecutorService scheduler, int timeoutMillis) {
        this.sink = sink;
        this.options = options;
        this.control = control;
        this.worker = worker;
        this.scheduler = scheduler;
        this.timeoutMillis = timeoutMillis;
        this.source = "twin of sink " + sink;
    }

    /** After a client opened (on the worker): subscribes, reads the twin, applies it and reports. */
    void attach(InternalClient c) {
        client = c;
        subscribed = false;
        if (listener == null) {
            listener = control.onChange(this::reportSoon);
        }
        if (periodic == null && !options.reportInterval().isZero()) {
            long every = options.reportInterval().toMillis();
            periodic = scheduler.scheduleAtFixedRate(this::report, every, every, TimeUnit.MILLISECONDS);
        }
        refresh();
    }

    /** Reads the whole twin again (after a patch or a reconnect), on the worker thread. */
    void refreshSoon() {
        if (!closed && refreshQueued.compareAndSet(false, true)) {
            try {
                worker.execute(() -> {
                    refreshQueued.set(false);
                    refresh();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                refreshQueued.set(false); // closing
            }
        }
    }

    private void refresh() {
        InternalClient c = client;
        if (c == null || closed) {
            return;
        }
        try {
            if (!subscribed) {
                c.subscribeToDesiredProperties((twin, context) -> refreshSoon(), null, timeoutMillis);
                subscribed = true;
            }
            Twin twin = c.getTwin(timeoutMillis);
            failures = 0;
            onDesired(twin.getDesiredProperties());
        } catch (IotHubClientException | RuntimeException e) {
            long retryIn = Math.min(60_000L, 1_000L << Math.min(failures++, 6));
            log.atWarn().addKeyValue("sink", sink)
                    .log("cannot read the twin now ({}); trying again in {} s", describe(e), retryIn / 1000);
            scheduler.schedule(this::refreshSoon, retryIn, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        report();
    }

    private void onDesired(TwinCollection desired) {
        if (!options.routes()) {
            return;
        }
        Integer version = desired == null ? null : desired.getVersion();
        JsonElement routes = desired == null || !desired.containsKey(ROUTES) || desired.get(ROUTES) == null ? null
                : desired.toJsonElement().getAsJsonObject().get(ROUTES);
        if (routes == null || routes.isJsonNull()) {
            if (control.state().routesSource().isPresent()) { // set by this or an earlier instance of the sink
                log.atInfo().addKeyValue("sink", sink).addKeyValue("desiredVersion", version)
                        .log("the twin no longer has desired routes: going back to the files' routes");
                apply(Optional.empty(), version);
            }
            return;
        }
        JsonObject document = new JsonObject();
        document.add(ROUTES, normalized(routes));
        apply(Optional.of(document.toString()), version);
    }

    private void apply(Optional<String> routes, Integer version) {
        RoutesChange change;
        try {
            change = control.replaceRoutes(source, routes).toCompletableFuture().get(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            log.atWarn().addKeyValue("sink", sink).log("the twin's routes were not applied: {}", e.toString());
            return;
        }
        JsonObject ack = new JsonObject();
        if (change.accepted()) {
            ack.addProperty("ac", 200);
            ack.addProperty("ad", (routes.isPresent() ? "applied" : "the files' routes apply")
                    + " as configuration version " + change.version() + " (" + change.fingerprint() + ")");
            log.atInfo().addKeyValue("sink", sink).addKeyValue("desiredVersion", version)
                    .addKeyValue("configVersion", change.version())
                    .log("routes from the twin applied: configuration version {}", change.version());
        } else {
            ack.addProperty("ac", 400);
            List<String> problems = change.problems();
            String shown = String.join("; ", problems.subList(0, Math.min(problems.size(), MAX_PROBLEMS_REPORTED)));
            ack.addProperty("ad", "refused, still running configuration version " + change.version() + ": " + shown
                    + (problems.size() > MAX_PROBLEMS_REPORTED ? "; ..." : ""));
            log.atWarn().addKeyValue("sink", sink).addKeyValue("desiredVersion", version)
                    .log("routes from the twin refused ({} problems); the running routes stay", problems.size());
        }
        if (version != null) {
            ack.addProperty("av", version);
        }
        routesAck = ack;
    }

    /** Integral numbers as integers (the SDK reads every JSON number as a double: 1 would become 1.0). */
    static JsonElement normalized(JsonElement element) {
        if (element.isJsonObject()) {
            JsonObject out = new JsonObject();
            for (Map.Entry<String, JsonElement> e : element.getAsJsonObject().entrySet()) {
                if (!e.getKey().startsWith("$")) {
                    out.add(e.getKey(), normalized(e.getValue()));
                }
            }
            return out;
        }
        if (element.isJsonArray()) {
            JsonArray out = new JsonArray();
            element.getAsJsonArray().forEach(item -> out.add(normalized(item)));
            return out;
        }
        if (element.isJsonPrimitive() && element.getAsJsonPrimitive().isNumber()) {
            BigDecimal number = element.getAsBigDecimal();
            try {
                return new JsonPrimitive(number.toBigIntegerExact());
            } catch (ArithmeticException fractional) {
                return element;
            }
        }
        return element;
    }

    private void reportSoon() {
        if (!closed) {
            scheduler.execute(this::report);
        }
    }

    /** Sends the reported property {@code edgebridge}; never blocks. */
    void report() {
        InternalClient c = client;
        if (c == null || closed) {
            return;
        }
        try {
            TwinCollection reported = new TwinCollection();
            reported.put(REPORTED, reportedProperties());
            c.updateReportedPropertiesAsync(reported, (status, response, error, context) -> {
                if (error != null) {
                    log.atDebug().addKeyValue("sink", sink).log("reported properties not updated: {}", describe(error));
                }
            }, null);
        } catch (RuntimeException e) {
            log.atDebug().addKeyValue("sink", sink).log("reported properties not updated: {}", e.toString());
        }
    }

    TwinCollection reportedProperties() {
        ConfigState state = control.state();
        Totals totals = control.totals();
        TwinCollection r = new TwinCollection();
        r.put("status", "running");
        r.put("version", EdgeBridgeVersion.get());
        r.put("startedAt", startedAt.toString());
        TwinCollection config = new TwinCollection();
        config.put("version", state.version());
        config.put("hash", state.fingerprint());
        config.put("loadedAt", state.loadedAt().toString());
        config.put("routesSource", state.routesSource().isPresent() ? "twin" : "files");
        config.put("lastError", state.lastError().orElse(null));
        r.put("config", config);
        JsonObject ack = routesAck;
        if (ack != null) {
            TwinCollection routes = new TwinCollection();
            for (Map.Entry<String, JsonElement> e : ack.entrySet()) {
                JsonPrimitive value = e.getValue().getAsJsonPrimitive();
                routes.put(e.getKey(), value.isNumber() ? (Object) value.getAsLong() : value.getAsString());
            }
            r.put(ROUTES, routes);
        }
        TwinCollection stats = new TwinCollection();
        stats.put("at", Instant.now().toString());
        stats.put("upstream", direction(totals.upstream()));
        stats.put("downstream", direction(totals.downstream()));
        stats.put("spooled", totals.spooled());
        r.put("stats", stats);
        return r;
    }

    private static TwinCollection direction(DirectionTotals d) {
        TwinCollection t = new TwinCollection();
        t.put("received", d.received());
        t.put("forwarded", d.forwarded());
        t.put("failed", d.failed());
        t.put("dropped", d.dropped());
        t.put("deadLettered", d.deadLettered());
        return t;
    }

    private static String describe(Exception e) {
        if (e instanceof IotHubClientException hub) {
            return hub.getStatusCode() + (hub.getMessage() == null ? "" : " (" + hub.getMessage() + ")");
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /** The client went away (it is replaced by {@link #attach} with a new one). */
    void detach() {
        client = null;
        subscribed = false;
    }

    void close() {
        closed = true;
        client = null;
        ScheduledFuture<?> p = periodic;
        if (p != null) {
            p.cancel(false);
        }
        AutoCloseable l = listener;
        if (l != null) {
            try {
                l.close();
            } catch (Exception e) {
                // nothing to release
            }
        }
    }
}
