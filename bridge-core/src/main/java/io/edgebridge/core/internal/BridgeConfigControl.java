package io.edgebridge.core.internal;

import io.edgebridge.config.Direction;
import io.edgebridge.core.api.ConfigControl;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.edgebridge.core.internal.stats.StatsLog;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link ConfigControl}. Routes are replaced by whoever reloads the configuration
 * ({@link ConfigReloader}, which knows the files); a request made before it is attached (a twin
 * read while the bridge starts) waits for it.
 */
final class BridgeConfigControl implements ConfigControl {

    private static final Logger log = LoggerFactory.getLogger(BridgeConfigControl.class);

    /** Applies replacement routes together with the files they replace. */
    @FunctionalInterface
    interface RoutesApplier {
        CompletableFuture<RoutesChange> replaceRoutes(String source, Optional<String> routes);
    }

    private final Bridge bridge;
    private final CompletableFuture<RoutesApplier> applier = new CompletableFuture<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile Optional<String> routesSource = Optional.empty();
    private volatile Optional<String> lastError = Optional.empty();

    BridgeConfigControl(Bridge bridge) {
        this.bridge = bridge;
    }

    void attach(RoutesApplier routesApplier) {
        applier.complete(routesApplier);
    }

    @Override
    public CompletionStage<RoutesChange> replaceRoutes(String source, Optional<String> routes) {
        return applier.thenCompose(a -> a.replaceRoutes(source, routes));
    }

    @Override
    public ConfigState state() {
        return new ConfigState(bridge.configVersion(), bridge.config().fingerprint(), bridge.configLoadedAt(),
                routesSource, lastError);
    }

    @Override
    public Totals totals() {
        StatsLog stats = new StatsLog(bridge.metrics().registry(), () -> "");
        return new Totals(totals(stats, Direction.UPSTREAM), totals(stats, Direction.DOWNSTREAM),
                bridge.spool().entryCount());
    }

    private static DirectionTotals totals(StatsLog stats, Direction d) {
        return new DirectionTotals(stats.sum(BridgeMeter.RECEIVED, d), stats.sum(BridgeMeter.FORWARDED, d),
                stats.sum(BridgeMeter.FAILED, d), stats.sum(BridgeMeter.DROPPED, d),
                stats.sum(BridgeMeter.DEAD_LETTERED, d));
    }

    @Override
    public AutoCloseable onChange(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** A new configuration runs; {@code source} is where its routes come from when not the files. */
    void applied(Optional<String> source) {
        routesSource = source;
        lastError = Optional.empty();
        fire();
    }

    /** A change was refused; the running configuration stays. */
    void refused(String error) {
        lastError = Optional.of(error);
        fire();
    }

    private void fire() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.atWarn().log("a configuration listener failed: {}", e.toString());
            }
        }
    }
}
