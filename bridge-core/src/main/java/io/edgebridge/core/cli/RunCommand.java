package io.edgebridge.core.cli;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.Bridge;
import io.edgebridge.core.internal.ConfigReloader;
import io.edgebridge.core.internal.stats.JvmMeters;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/**
 * {@code edgebridge run --config PATH}: runs until SIGTERM or SIGINT, then stops gracefully and
 * exits 0. SIGHUP, and a change of the configuration files, reload the configuration.
 */
@Command(name = "run", description = "Run the bridge until SIGTERM/SIGINT.")
final class RunCommand extends ConfigCommand {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Override
    int run(BridgeConfig loaded, List<SinkFactory> factories) throws Exception {
        log.info("{} starting with {}", VersionCommand.describe(), config.path());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        JvmMeters.bindTo(registry); // for the life of the process
        Bridge bridge = new Bridge(loaded, factories, registry);
        CountDownLatch stopRequested = new CountDownLatch(1);
        Signals.onTermination(stopRequested::countDown);
        // Safety net for exits that bypass the signal handlers (System.exit elsewhere, signal API missing).
        Thread hook = new Thread(bridge::stop, "edgebridge-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            bridge.start();
        } catch (Exception e) {
            log.error("EdgeBridge could not start: {}", e.getMessage());
            spec.commandLine().getErr().println("edgebridge: could not start: " + e.getMessage());
            removeHook(hook);
            return Main.EXIT_RUNTIME_FAILURE;
        }
        ConfigReloader reloader = new ConfigReloader(bridge, new ConfigLoader(factories), config.path()).start();
        Signals.onHangup(() -> reloader.requestReload("SIGHUP"));
        stopRequested.await();
        reloader.close();
        bridge.stop();
        removeHook(hook);
        return 0;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
