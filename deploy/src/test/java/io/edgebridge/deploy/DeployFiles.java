package io.edgebridge.deploy;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigException;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.config.ConfigProblem;
import io.edgebridge.core.internal.SinkFactories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** Paths and readers shared by the deployment tests. */
final class DeployFiles {

    /** The repository root (tests run in the deploy module's directory). */
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path KUBERNETES = REPO.resolve("deploy/kubernetes/edgebridge.yaml");
    static final Path KUBERNETES_SCALE_OUT = REPO.resolve("deploy/kubernetes/scale-out/edgebridge-scale-out.yaml");
    static final Path IOT_EDGE_TEMPLATE = REPO.resolve("deploy/iotedge/deployment.template.json");
    static final Path IOT_EDGE_MODULE = REPO.resolve("deploy/iotedge/module.json");
    static final Path SYSTEMD_UNIT = REPO.resolve("deploy/systemd/edgebridge.service");
    static final Path MOSQUITTO_CONF = REPO.resolve("deploy/mosquitto/edgebridge.conf");
    /** The starting configuration the tarball ships as config/edgebridge.yaml. */
    static final Path DIST_CONFIG = REPO.resolve("deploy/src/dist/config/edgebridge.yaml");

    /** {@code ${NAME}} and {@code ${NAME:-default}} references (not {@code ${file:...}}, not {@code $${}). */
    private static final Pattern ENV_REFERENCE = Pattern.compile("(?<!\\$)\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");

    private DeployFiles() {
    }

    /** The project version Maven builds (surefire/failsafe pass it). */
    static String version() {
        String version = System.getProperty("edgebridge.version");
        if (version == null || version.isBlank()) {
            throw new AssertionError("system property edgebridge.version is not set (run through Maven)");
        }
        return version;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of a multi-document YAML file. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> yamlDocuments(Path file) {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml(new LoaderOptions()).loadAll(read(file))) {
            if (document != null) {
                documents.add((Map<String, Object>) document);
            }
        }
        return documents;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> yamlMap(String text) {
        return (Map<String, Object>) new Yaml(new LoaderOptions()).load(text);
    }

    /** Names of the environment variables a configuration needs: {@code ${NAME}} without a default. */
    static Set<String> requiredEnvironment(String yaml) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = ENV_REFERENCE.matcher(yaml);
        while (m.find()) {
            if (m.group(2) == null) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /**
     * Loads a configuration with the real loader and every sink type of the distribution, with only
     * {@code environment} as the process environment; fails the test with every problem listed.
     */
    static BridgeConfig load(String yaml, String source, Map<String, String> environment) {
        try {
            return new ConfigLoader(SinkFactories.load(), environment::get).parse(yaml, source);
        } catch (ConfigException e) {
            throw new AssertionError(source + " does not load:\n" + e.problems().stream().map(ConfigProblem::format)
                    .collect(Collectors.joining("\n")), e);
        }
    }

    /** The directory part of an absolute path in the image ({@code /etc/edgebridge/x.yaml} -> {@code /etc/edgebridge}). */
    static String parent(String imagePath) {
        int slash = imagePath.lastIndexOf('/');
        return slash <= 0 ? "/" : imagePath.substring(0, slash);
    }

    /** The value after {@code --config} in a command line. */
    static String configArgument(List<String> command) {
        int i = command.indexOf("--config");
        if (i < 0 || i + 1 >= command.size()) {
            throw new AssertionError("no --config PATH in " + command);
        }
        return command.get(i + 1);
    }
}
