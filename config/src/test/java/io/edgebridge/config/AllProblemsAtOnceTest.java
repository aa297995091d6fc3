package io.edgebridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file with several unrelated mistakes reports every one of them in one go, each at its line. */
class AllProblemsAtOnceTest {

    private static final String SEVEN_MISTAKES = """
            spool:
              maxAge: 7 days
            sinks:
              cloud:
                type: mqtt
                uri: mqtt://broker.example.com:1883
                keepAlive: 60
              out:
                type: file
                path: out/messages.jsonl
                fsync: yes
            routes:
              - name: telemetry
                from: sensors/<deviceId>/data
                to:
                  - sink: cloud
                    topic: edge/<device>/data
                    qos: 3
                  - sink: aut
                    topic: edge/<deviceId>/data
            statz:
              logInterval: 10s
            """;

    @Test
    void reportsEveryProblemWithItsLine(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("bridge.yaml"), SEVEN_MISTAKES);

        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> TestSinkTypes.loader().load(file));

        assertThat(e.problems())
                .extracting(p -> p.location().line(), p -> p.location().keyPath())
                .containsExactly(
                        tuple(2, "spool.maxAge"),
                        tuple(7, "sinks.cloud.keepAlive"),
                        tuple(11, "sinks.out.fsync"),
                        tuple(17, "routes[0].to[0].topic"),
                        tuple(18, "routes[0].to[0].qos"),
                        tuple(19, "routes[0].to[1].sink"),
                        tuple(21, "statz"));
        assertThat(e.problems()).allSatisfy(p -> assertThat(p.format()).startsWith(file + ":"));
        assertThat(e.getMessage()).startsWith("7 problems in the configuration:");
        assertThat(e.problems().get(3).message()).contains("<device> is not bound (did you mean <deviceId>?)");
        assertThat(e.problems().get(5).message()).contains("unknown sink 'aut' (did you mean 'out'?)");
        assertThat(e.problems().get(6).message()).contains("unknown key 'statz' (did you mean 'stats'?)");
    }
}
