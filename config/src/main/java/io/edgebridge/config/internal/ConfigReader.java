package io.edgebridge.config.internal;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigException;
import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.Location;
import io.edgebridge.config.RoutesOverride;
import io.edgebridge.config.SinkType;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** One load: read the inputs, parse, substitute, then assemble and validate. */
public final class ConfigReader {

    private final Map<String, SinkType> types;
    private final Function<String, String> environment;

    public ConfigReader(Collection<? extends SinkType> sinkTypes, Function<String, String> environment) {
        Map<String, SinkType> byName = new LinkedHashMap<>();
        for (SinkType type : sinkTypes) {
            if (type.type().equals(FailoverOptions.TYPE)) {
                throw new IllegalArgumentException("sink type '" + FailoverOptions.TYPE + "' is built in");
            }
            if (byName.putIfAbsent(type.type(), type) != null) {
                throw new IllegalArgumentException("two sink types are named '" + type.type() + "'");
            }
        }
        this.types = Map.copyOf(byName);
        this.environment = environment;
    }

    public BridgeConfig load(Path fileOrDirectory, Optional<RoutesOverride> routes) throws ConfigException {
        Problems problems = new Problems();
        List<Input> inputs = Input.read(fileOrDirectory, problems);
        if (problems.hasErrors() && inputs.isEmpty()) {
            throw new ConfigException(problems.errors());
        }
        List<Path> files = inputs.stream().map(i -> i.source().file().orElseThrow()).toList();
        Location start = new Location(Optional.of(fileOrDirectory), 0, 0, "");
        return read(inputs, routes.map(ConfigReader::input), problems, files, start);
    }

    /** The override's text as an input its problems name: {@code <sourceName>:line:col}. */
    private static Input input(RoutesOverride routes) {
        return new Input(new Source(Optional.of(Path.of(routes.sourceName())), routes.sourceName()),
                routes.text().getBytes(java.nio.charset.StandardCharsets.UTF_8), Optional.of(routes.text()));
    }

    public BridgeConfig parse(String yaml, String sourceName) throws ConfigException {
        Problems problems = new Problems();
        problems.addFile(Optional.empty());
        Input input = Input.text(yaml, sourceName);
        return read(List.of(input), Optional.empty(), problems, List.of(), input.source().whole(""));
    }

    private BridgeConfig read(List<Input> inputs, Optional<Input> routes, Problems problems, List<Path> files,
            Location start) throws ConfigException {
        ScalarValues values = new ScalarValues(new Substitution(environment), problems);
        List<YamlDocument> documents = inputs.stream()
                .map(input -> input.text()
                        .map(text -> YamlDocument.parse(input.source(), text, problems))
                        .orElseGet(() -> new YamlDocument(input.source(), Optional.empty(), true)))
                .toList();
        documents.forEach(values::scan);
        // Not scanned: its values are read as written, never substituted from the environment.
        Optional<YamlDocument> routesDocument = routes.map(input -> YamlDocument.parse(input.source(),
                input.text().orElse(""), problems));
        ConfigAssembler assembler = new ConfigAssembler(new ReadContext(problems, values), new SinkCatalog(types),
                documents, routesDocument, start, ClientIdDefaults.perReplica(environment));
        List<Input> all = new java.util.ArrayList<>(inputs);
        routes.ifPresent(all::add);
        return assembler.assemble(files, Input.fingerprint(all));
    }
}
