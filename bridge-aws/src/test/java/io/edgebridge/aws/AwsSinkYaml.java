package io.edgebridge.aws;

import java.nio.file.Path;

/** The {@code aws} sink of the tests' configurations: gateway-1 over mutual TLS to a stand-in on loopback. */
final class AwsSinkYaml {

    private AwsSinkYaml() {
    }

    /**
     * The lines under {@code sinks:} (indented by two spaces) for sink {@code aws} at
     * {@code localhost:port}, with the device's files and the CA, then {@code extraKeys} (one
     * {@code key: value} each).
     */
    static String sink(int port, Path certificate, Path privateKey, Path ca, String... extraKeys) {
        StringBuilder yaml = new StringBuilder("  aws:");
        String[] keys = {"type: aws-iot-core", "endpoint: localhost", "port: " + port, "clientId: gateway-1",
                "certificate: " + certificate, "privateKey: " + privateKey, "ca: " + ca, "connectTimeout: 5s"};
        for (String key : keys) {
            yaml.append("\n    ").append(key);
        }
        for (String key : extraKeys) {
            yaml.append("\n    ").append(key);
        }
        return yaml.toString();
    }
}
