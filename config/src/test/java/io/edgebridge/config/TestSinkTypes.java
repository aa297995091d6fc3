package io.edgebridge.config;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Stand-ins for the engine's two built-in sink types, reading exactly the keys the real ones
 * read, so config tests (and the invalid corpus) need no engine.
 */
public final class TestSinkTypes {

    /** What the {@code file} stand-in reads. */
    public record FileOptions(Path path, long maxFileSize, int maxFiles, boolean fsync) {
    }

    public static final SinkType MQTT = new SinkType() {
        @Override
        public String type() {
            return "mqtt";
        }

        @Override
        public Object parseOptions(String sinkName, ConfigMap options) {
            Optional<MqttEndpointConfig> endpoint = options.mqttEndpoint("uri", "edgebridge-" + sinkName);
            Set<String> keys = new HashSet<>(ConfigMap.ENDPOINT_KEYS);
            keys.add("uri");
            options.checkKeys(keys);
            return endpoint.orElse(null);
        }

        @Override
        public boolean supportsDownstream() {
            return true;
        }
    };

    public static final SinkType FILE = new SinkType() {
        @Override
        public String type() {
            return "file";
        }

        @Override
        public Object parseOptions(String sinkName, ConfigMap options) {
            options.checkKeys(Set.of("path", "maxFileSize", "maxFiles", "fsync"));
            options.requiredString("path");
            Optional<Path> path = options.path("path");
            long maxFileSize = options.byteSize("maxFileSize", 100L * 1024 * 1024, 1024, Long.MAX_VALUE);
            int maxFiles = options.integer("maxFiles", 5, 1, 1000);
            boolean fsync = options.bool("fsync", true);
            return path.map(p -> new FileOptions(p, maxFileSize, maxFiles, fsync)).orElse(null);
        }
    };

    public static final List<SinkType> ALL = List.of(MQTT, FILE);

    /** The environment the tests see: CLOUD_MQTT_PASSWORD and nothing else. */
    public static final Map<String, String> ENVIRONMENT = Map.of("CLOUD_MQTT_PASSWORD", "s3cret-from-env");

    private TestSinkTypes() {
    }

    public static ConfigLoader loader() {
        return loader(ENVIRONMENT);
    }

    public static ConfigLoader loader(Map<String, String> environment) {
        Function<String, String> lookup = environment::get;
        return new ConfigLoader(ALL, lookup);
    }
}
