package io.edgebridge.core.cli;

import io.edgebridge.config.BridgeConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code edgebridge validate --config PATH}: every problem at once; exit 0 valid, 2 invalid. */
@Command(name = "validate", description = "Check a configuration and report every problem at once.")
final class ValidateCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        BridgeConfig loaded = config.load(ConfigOption.factories(), spec.commandLine().getErr());
        if (loaded == null) {
            return Main.EXIT_INVALID_CONFIG;
        }
        long upstream = loaded.upstreamRoutes().size();
        long downstream = loaded.downstreamRoutes().size();
        spec.commandLine().getOut().printf("%s: OK (%d sinks, %d upstream and %d downstream routes, config %s)%n",
                config.path(), loaded.sinks().size(), upstream, downstream, loaded.fingerprint());
        return 0;
    }
}
