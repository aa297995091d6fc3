package io.edgebridge.core.cli;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.core.api.SinkFactory;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/**
 * A command that starts by reading its configuration: when that fails, the problems are on stderr
 * and the command ends with {@link Main#EXIT_INVALID_CONFIG}.
 */
abstract class ConfigCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        List<SinkFactory> factories = ConfigOption.factories();
        BridgeConfig loaded = config.load(factories, spec.commandLine().getErr());
        return loaded == null ? Main.EXIT_INVALID_CONFIG : run(loaded, factories);
    }

    /** The command proper, given the loaded configuration and the sink types it was read with; returns the exit code. */
    abstract int run(BridgeConfig loaded, List<SinkFactory> factories) throws Exception;
}
