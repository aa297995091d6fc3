package io.edgebridge.config;

import io.edgebridge.config.internal.ConfigReader;
import io.edgebridge.config.internal.Input;
import io.edgebridge.config.internal.Problems;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Loads and validates EdgeBridge configuration: one YAML file, or every {@code *.yaml} /
 * {@code *.yml} file of a directory merged in name order. All problems are collected and reported
 * together in one {@link ConfigException}.
 */
public final class ConfigLoader {

    private final ConfigReader reader;

    /**
     * @param sinkTypes   the sink types that may appear in {@code type:}
     * @param environment lookup for {@code ${NAME}} substitution (usually {@code System::getenv})
     */
    public ConfigLoader(Collection<? extends SinkType> sinkTypes, Function<String, String> environment) {
        this.reader = new ConfigReader(sinkTypes, environment);
    }

    public ConfigLoader(Collection<? extends SinkType> sinkTypes) {
        this(sinkTypes, System::getenv);
    }

    /** Loads a YAML file or a directory of YAML files. */
    public BridgeConfig load(Path fileOrDirectory) throws ConfigException {
        return reader.load(fileOrDirectory, Optional.empty());
    }

    /**
     * Loads the files with their {@code routes} replaced by {@code routes} when present. The
     * fingerprint covers both, so it changes when either does.
     */
    public BridgeConfig load(Path fileOrDirectory, Optional<RoutesOverride> routes) throws ConfigException {
        return reader.load(fileOrDirectory, routes);
    }

    /**
     * The fingerprint of the files {@link #load} would read now, without parsing them: equal to
     * {@link BridgeConfig#fingerprint()} of a successful load of the same bytes, and different
     * whenever one of the files changes, appears or goes away (for watching them cheaply).
     */
    public static String filesFingerprint(Path fileOrDirectory) {
        Problems problems = new Problems();
        List<Input> inputs = Input.read(fileOrDirectory, problems);
        String fingerprint = Input.fingerprint(inputs);
        return problems.hasErrors() ? fingerprint + "!" + problems.errors().size() : fingerprint;
    }

    /** Loads configuration text that did not come from a file (tests, a module twin). */
    public BridgeConfig parse(String yaml, String sourceName) throws ConfigException {
        return reader.parse(yaml, sourceName);
    }
}
