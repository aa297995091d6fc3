package io.edgebridge.core.cli;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigException;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.config.ConfigProblem;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.SinkFactories;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code --config PATH}, shared by the commands that read a configuration. */
final class ConfigOption {

    @Option(names = {"-c", "--config"}, paramLabel = "PATH",
            description = "A YAML file, or a directory whose *.yaml/*.yml files are merged in name order.")
    Path option;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATH", description = "Same as --config.")
    Path positional;

    Path path() {
        return option != null ? option : positional;
    }

    /** Loads the configuration; on problems prints each one to {@code err} and returns null. */
    BridgeConfig load(List<SinkFactory> factories, PrintWriter err) {
        Path path = path();
        if (path == null || (option != null && positional != null)) {
            err.println("edgebridge: give the configuration once: --config PATH (a YAML file or a directory)");
            err.flush();
            return null;
        }
        try {
            BridgeConfig config = new ConfigLoader(factories).load(path);
            for (ConfigProblem warning : config.warnings()) {
                err.println("warning: " + warning.format());
            }
            return config;
        } catch (ConfigException e) {
            err.println("edgebridge: " + e.problems().size() + (e.problems().size() == 1 ? " problem" : " problems")
                    + " in " + path + ":");
            for (ConfigProblem problem : e.problems()) {
                err.println("  " + problem.format());
            }
            err.flush();
            return null;
        }
    }

    static List<SinkFactory> factories() {
        return SinkFactories.load();
    }
}
