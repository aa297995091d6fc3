package io.edgebridge.core.testing;

import java.nio.file.Path;

/**
 * The three ways EdgeBridge reaches its local broker; integration suites run against each. Every
 * instance owns the ports and processes it starts.
 */
public enum LocalSetup {

    /** Embedded HiveMQ CE, intake in-process through the publish interceptor. */
    EMBEDDED_EXTENSION,
    /** Embedded HiveMQ CE, intake through the bridge's own MQTT session with manual acks. */
    EMBEDDED_MQTT,
    /** An external Mosquitto as the local broker. */
    EXTERNAL_MOSQUITTO;

    /** A running local broker (or its port reserved, for embedded) plus its YAML. */
    public final class Instance implements AutoCloseable {
        private final int port;
        private final Mosquitto mosquitto;

        Instance(Path dir) {
            if (LocalSetup.this == EXTERNAL_MOSQUITTO) {
                mosquitto = new Mosquitto(dir.resolve("local-mosquitto")).start();
                port = mosquitto.port();
            } else {
                mosquitto = null;
                port = Ports.free();
            }
        }

        /** The port devices publish to. */
        public int port() {
            return port;
        }

        /** The {@code local:} section. */
        public String yaml() {
            return switch (LocalSetup.this) {
                case EMBEDDED_EXTENSION -> embedded("extension");
                case EMBEDDED_MQTT -> embedded("mqtt");
                case EXTERNAL_MOSQUITTO -> """
                        local:
                          broker: mqtt://127.0.0.1:%d
                          clientId: edgebridge-test
                          reconnect: { min: 100ms, max: 1s }
                        """.formatted(port);
            };
        }

        private String embedded(String intake) {
            return """
                    local:
                      broker: embedded
                      embedded: { address: 127.0.0.1, port: %d, persistence: in-memory, intake: %s }
                    """.formatted(port, intake);
        }

        @Override
        public void close() {
            if (mosquitto != null) {
                mosquitto.close();
            }
        }
    }

    public Instance start(Path dir) {
        return new Instance(dir);
    }
}
