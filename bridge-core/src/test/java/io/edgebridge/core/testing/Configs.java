package io.edgebridge.core.testing;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigException;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.core.internal.SinkFactories;
import java.nio.file.Path;

/** Configurations from YAML text, validated by the real loader with the real sink types. */
public final class Configs {

    private Configs() {
    }

    /**
     * A {@code sinks:} section with one MQTT sink {@code cloud} to the broker on {@code port} of
     * the loopback address, reconnecting within 100 ms to 1 s (tests restart brokers).
     */
    public static String mqttCloudSink(int port) {
        return """
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    reconnect: { min: 100ms, max: 1s }
                """.formatted(port);
    }

    /**
     * The start of a configuration for a bridge whose embedded broker listens on {@code localPort}
     * of the loopback address, with data under {@code dir/data} and a file sink {@code out} writing
     * {@code dir/out.jsonl}. More sinks may follow (indented by two spaces), then the routes.
     */
    public static String embeddedToFile(Path dir, int localPort) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                local:
                  embedded: { address: 127.0.0.1, port: %d, persistence: in-memory }
                sinks:
                  out: { type: file, path: %s }
                """.formatted(dir.resolve("data"), localPort, dir.resolve("out.jsonl"));
    }

    public static BridgeConfig parse(String yaml) {
        try {
            return new ConfigLoader(SinkFactories.load()).parse(yaml, "test.yaml");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
