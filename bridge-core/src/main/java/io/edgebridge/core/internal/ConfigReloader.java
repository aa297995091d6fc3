package io.edgebridge.core.internal;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigException;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.config.ConfigProblem;
import io.edgebridge.config.ReloadConfig;
import io.edgebridge.config.RoutesOverride;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.ConfigControl;
import io.edgebridge.core.api.ConfigControl.RoutesChange;
import io.edgebridge.core.support.FileWatcher;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads a running bridge's configuration: on request (SIGHUP) and, with {@code reload.watch},
 * whenever its files change. A new configuration that does not load is refused with every problem
 * logged, and the running one keeps working; a valid one is applied by difference
 * ({@link Bridge#apply}).
 *
 * <p>The files are polled by a {@link FileWatcher} (their bytes hashed, as
 * {@link ConfigLoader#filesFingerprint}), and a change is applied once the files have stayed the same
 * for one more interval, so a save in several steps is not loaded half-written.
 */
public final class ConfigReloader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    private final Bridge bridge;
    private final ConfigLoader loader;
    private final Path path;
    private final ScheduledExecutorService executor;

    // Executor-thread state.
    /** Fingerprint of the files as last loaded (applied or refused). */
    private String handled;
    /** Routes that replace the files' routes ({@link ConfigControl#replaceRoutes}), in force across reloads. */
    private Optional<RoutesOverride> override = Optional.empty();
    /** The {@code reload} settings the watch runs with, and the watcher (null when off). */
    private ReloadConfig watching;
    private FileWatcher watcher;

    public ConfigReloader(Bridge bridge, ConfigLoader loader, Path path) {
        this.bridge = bridge;
        this.loader = loader;
        this.path = path;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "config-reload");
            t.setDaemon(true);
            return t;
        });
        this.handled = bridge.config().fingerprint();
        bridge.control().attach(this::replaceRoutes);
    }

    /** Starts watching the files when the configuration asks for it. */
    public ConfigReloader start() {
        executor.execute(this::watchAsConfigured);
        return this;
    }

    /** (Re)schedules the watch after start and after each reload, as {@code reload} now says. */
    private void watchAsConfigured() {
        ReloadConfig reload = bridge.config().reload();
        if (reload.equals(watching)) {
            return;
        }
        watching = reload;
        if (watcher != null) {
            watcher.close();
            watcher = null;
        }
        if (reload.watch()) {
            watcher = FileWatcher.builder("configuration").watch(path, ConfigLoader::filesFingerprint)
                    .interval(reload.interval()).settle(true).scheduler(executor)
                    .onChange(change -> reload("file change", change.fingerprint(path))).build();
            watcher.markSeen(path, handled);
            watcher.start();
            log.atInfo().addKeyValue("path", path).addKeyValue("interval", reload.interval())
                    .log("watching the configuration for changes");
        } else {
            log.atInfo().addKeyValue("path", path).log("not watching the configuration files; SIGHUP reloads");
        }
    }

    /** Reloads now (SIGHUP), on the reload thread. */
    public void requestReload(String trigger) {
        executor.execute(() -> reload(trigger));
    }

    /**
     * Loads the files with {@code routes} in place of their routes (empty: the files' own) and
     * applies the result, on the reload thread; see {@link ConfigControl#replaceRoutes}.
     */
    private CompletableFuture<RoutesChange> replaceRoutes(String source, Optional<String> routes) {
        CompletableFuture<RoutesChange> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    result.complete(replaceRoutesNow(source, routes));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the bridge is stopping"));
        }
        return result;
    }

    private RoutesChange replaceRoutesNow(String source, Optional<String> routes) {
        Optional<RoutesOverride> next = routes.map(text -> new RoutesOverride(source, text));
        String trigger = "routes from " + source;
        BridgeConfig loaded;
        try {
            loaded = loader.load(path, next);
        } catch (ConfigException e) {
            refused(trigger, e.problems());
            return new RoutesChange(false, bridge.configVersion(), bridge.config().fingerprint(),
                    e.problems().stream().map(ConfigProblem::format).toList());
        }
        override = next;
        if (apply(trigger, loaded)) {
            return new RoutesChange(true, bridge.configVersion(), bridge.config().fingerprint(), List.of());
        }
        return new RoutesChange(false, bridge.configVersion(), bridge.config().fingerprint(),
                List.of("not applied: the bridge is not running"));
    }

    /**
     * Loads and applies the configuration, unless it is the running one: same files and the same
     * values after substitution (so SIGHUP after rotating a secret file does apply).
     */
    private void reload(String trigger) {
        reload(trigger, ConfigLoader.filesFingerprint(path));
    }

    /**
     * @param filesNow the files' fingerprint, taken before loading them (a change while loading is seen later)
     * @return false when the files could not be loaded at all, to be tried again at a later check
     */
    private boolean reload(String trigger, String filesNow) {
        reportVanishedFiles(trigger);
        BridgeConfig next;
        try {
            next = loader.load(path, override);
        } catch (ConfigException e) {
            handled(filesNow);
            refused(trigger, e.problems());
            return true;
        } catch (RuntimeException e) {
            log.atError().addKeyValue("trigger", trigger).log("configuration reload failed: {}", e.toString());
            return false;
        }
        handled(filesNow);
        apply(trigger, next);
        return true;
    }

    private void handled(String filesNow) {
        handled = filesNow;
        if (watcher != null) {
            watcher.markSeen(path, filesNow);
        }
    }

    /**
     * A file of the running configuration that is gone (deleted, renamed, a ConfigMap key removed)
     * is worth a line of its own: whether the rest then loads or not, the operator should know why.
     */
    private void reportVanishedFiles(String trigger) {
        for (Path file : bridge.config().files()) {
            if (!java.nio.file.Files.exists(file)) {
                log.atWarn().addKeyValue("trigger", trigger).addKeyValue("file", file)
                        .log("configuration file {} of running version {} no longer exists", file,
                                bridge.configVersion());
            }
        }
    }

    private void refused(String trigger, List<ConfigProblem> problems) {
        log.atError().addKeyValue("trigger", trigger).addKeyValue("path", path)
                .addKeyValue("configVersion", bridge.configVersion())
                .log("configuration reload refused: {} {}; still running version {} ({})", problems.size(),
                        problems.size() == 1 ? "problem" : "problems", bridge.configVersion(),
                        bridge.config().fingerprint());
        for (ConfigProblem problem : problems) {
            log.atError().addKeyValue("trigger", trigger).log("  {}", problem.format());
        }
        bridge.control().refused(trigger + ": " + problems.size() + (problems.size() == 1 ? " problem: " : " problems: ")
                + problems.get(0).format() + (problems.size() > 1 ? " ..." : ""));
    }

    /** Applies {@code next} unless it is what runs; whether it runs now. */
    private boolean apply(String trigger, BridgeConfig next) {
        for (ConfigProblem warning : next.warnings()) {
            log.atWarn().addKeyValue("trigger", trigger).log("config warning: {}", warning.format());
        }
        Optional<String> routesSource = override.map(RoutesOverride::sourceName);
        if (unchanged(bridge.config(), next)) {
            log.atInfo().addKeyValue("trigger", trigger).addKeyValue("configVersion", bridge.configVersion())
                    .log("configuration unchanged; still running version {}", bridge.configVersion());
            bridge.control().applied(routesSource);
            return true;
        }
        try {
            bridge.apply(next);
        } catch (IllegalStateException e) {
            log.atWarn().addKeyValue("trigger", trigger).log("configuration not applied: {}", e.getMessage());
            return false;
        }
        bridge.control().applied(routesSource);
        watchAsConfigured();
        return true;
    }

    private static boolean unchanged(BridgeConfig running, BridgeConfig next) {
        return running.fingerprint().equals(next.fingerprint()) && sameResolvedValues(running, next);
    }

    /** Same sinks with the same values after substitution (a rotated secret file changes them). */
    private static boolean sameResolvedValues(BridgeConfig running, BridgeConfig next) {
        if (!running.sinks().keySet().equals(next.sinks().keySet())) {
            return false;
        }
        for (SinkConfig sink : next.sinks().values()) {
            if (!sink.sameSettings(running.sinks().get(sink.name()))) {
                return false;
            }
        }
        return Objects.equals(running.stats(), next.stats());
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
