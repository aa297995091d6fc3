package io.edgebridge.core.it.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The configuration the core poison-message rows share, and what the file sink wrote. */
final class PoisonConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PoisonConfig() {
    }

    /**
     * A bridge with {@code local} (its {@code local:} section), an {@code mqtt} sink {@code cloud} to
     * the broker on {@code cloudPort} and a {@code file} sink {@code out} writing {@code dir/out.jsonl};
     * routes: {@code telemetry} (the README's, issue 14 finding 2), {@code tagged} (a property that
     * renders the whole source topic), {@code restricted} and {@code sealed} (targets the cloud may
     * refuse; a local broker may refuse the dead letters of {@code sealed}) and {@code archive} (to the
     * file sink). Rejected messages are tried twice.
     */
    static String yaml(Path dir, String local, int cloudPort) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                deadLetter: { maxAttempts: 2 }
                %s
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    reconnect: { min: 100ms, max: 1s }
                    maxInFlight: 100
                  out: { type: file, path: %s }
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/#
                    sink: cloud
                    topic: gateways/gw-01/<deviceId>/<#>
                  - name: tagged
                    from: tagged/<deviceId>/#
                    sink: cloud
                    topic: tagged/<deviceId>
                    properties: { source: "from:<topic>" }
                  - name: restricted
                    from: restricted/<deviceId>/<kind>
                    sink: cloud
                    topic: <kind>/<deviceId>
                  - name: sealed
                    from: sealed/<deviceId>/<kind>
                    sink: cloud
                    topic: <kind>/<deviceId>
                  - name: archive
                    from: archive/<deviceId>/#
                    sink: out
                    topic: archive/<deviceId>
                """.formatted(dir.resolve("data"), local.stripTrailing(), cloudPort, dir.resolve("out.jsonl"));
    }

    /** Payloads of the file sink's lines, with how often each was written. */
    static Supplier<Map<String, Integer>> fileLines(Path file) {
        return () -> {
            Map<String, Integer> copies = new HashMap<>();
            if (!Files.exists(file)) {
                return copies;
            }
            try {
                List<String> lines = Files.readAllLines(file);
                for (String line : lines) {
                    if (line.isBlank() || !line.endsWith("}")) {
                        continue; // a line being written
                    }
                    JsonNode node = JSON.readTree(line);
                    copies.merge(node.path("payload").asText(), 1, Integer::sum);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return copies;
        };
    }
}
