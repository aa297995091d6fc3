package io.edgebridge.config;

import static io.edgebridge.config.Yamls.rejected;
import static io.edgebridge.config.Yamls.withDefaults;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Values that came from {@code ${...}} and values of secret keys never appear in a message, even
 * when they are wrong. Every secret below contains "hunter2".
 */
class SecretsTest {

    private static final String SECRET = "hunter2";

    /** A sink type with a secret-named key read as a duration, as a cloud sink might have. */
    private static final SinkType TOKEN_SINK = new SinkType() {
        @Override
        public String type() {
            return "token";
        }

        @Override
        public Object parseOptions(String sinkName, ConfigMap options) {
            options.checkKeys(Set.of("sasTokenTtl", "connectionString"));
            Duration ttl = options.duration("sasTokenTtl", Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofDays(1));
            options.requiredString("connectionString");
            return ttl;
        }
    };

    static Stream<Arguments> leaks() {
        return Stream.of(
                Arguments.of("environment value of a bad duration",
                        "local:\n  keepAlive: ${KA}", Map.of("KA", SECRET), "got the value from ${KA}"),
                Arguments.of("environment value of a bad number",
                        "deadLetter:\n  maxAttempts: ${N}", Map.of("N", SECRET), "the value from ${N}"),
                Arguments.of("environment value of a bad choice",
                        "spool:\n  whenFull: ${W}", Map.of("W", SECRET + "-oldest"), "the value from ${W}"),
                Arguments.of("environment value of a bad boolean",
                        "sinks:\n  out: {type: file, path: x, fsync: \"${F}\"}\n  cloud: {type: mqtt, uri: \"mqtt://h\"}",
                        Map.of("F", SECRET), "the value from ${F}"),
                Arguments.of("environment value of a bad URI",
                        "sinks:\n  cloud: {type: mqtt, uri: \"${URI}\"}\n  out: {type: file, path: x}",
                        Map.of("URI", "https://" + SECRET + ".example.com"), "expected a URI like"),
                Arguments.of("credentials in a URI",
                        "sinks:\n  cloud: {type: mqtt, uri: \"mqtts://gw:" + SECRET + "@h:8883\"}\n  out: {type: file, path: x}",
                        Map.of(), "put credentials in username/password"),
                Arguments.of("credentials in a URI from the environment",
                        "sinks:\n  cloud: {type: mqtt, uri: \"${URI}\"}\n  out: {type: file, path: x}",
                        Map.of("URI", "mqtt://gw:" + SECRET + "@h"), "put credentials in username/password"),
                Arguments.of("environment value of a template",
                        "routes:\n  - {name: t, from: a/<x>, sink: cloud, topic: \"${T}\"}",
                        Map.of("T", "b/<" + SECRET + ">"), "the value from ${T} uses a placeholder that is not bound"),
                Arguments.of("environment value of a downstream topic",
                        "routes:\n  - {name: t, from: a/<x>, sink: cloud, topic: b}\n"
                                + "  - {name: d, direction: downstream, from: {sink: cloud, topic: c}, to: \"${T}\"}",
                        Map.of("T", "l/<" + SECRET + ">"), "the value from ${T} uses a placeholder that is not allowed"),
                Arguments.of("environment value of a filter",
                        "routes:\n  - {name: t, from: \"${F}\", sink: cloud, topic: b}",
                        Map.of("F", "a/#/" + SECRET), "the value from ${F} is not a valid topic filter"),
                Arguments.of("environment value naming a sink",
                        "routes:\n  - {name: t, from: a, sink: \"${S}\", topic: b}",
                        Map.of("S", SECRET), "unknown sink the value from ${S}"),
                Arguments.of("environment value of a route name",
                        "routes:\n  - {name: \"${N}\", from: a, sink: cloud, topic: b}",
                        Map.of("N", SECRET + " x"), "route name the value from ${N} is not valid"),
                Arguments.of("environment value naming a missing file",
                        "sinks:\n  cloud: {type: mqtt, uri: \"mqtts://h\", tls: {ca: \"${CA}\"}}\n  out: {type: file, path: x}",
                        Map.of("CA", "/nonexistent/" + SECRET), "the file named by the value from ${CA} does not exist"),
                Arguments.of("environment value of local.broker",
                        "local:\n  broker: ${B}", Map.of("B", SECRET), "expected 'embedded' or a broker URI"),
                Arguments.of("environment value of a sink type",
                        "sinks:\n  cloud: {type: \"${T}\", uri: \"mqtt://h\"}\n  out: {type: file, path: x}",
                        Map.of("T", SECRET), "unknown sink type the value from ${T}"),
                Arguments.of("default of a reference with an invalid name",
                        "local:\n  clientId: ${not valid:-" + SECRET + "}", Map.of(), "invalid ${...} reference"),
                Arguments.of("file content of a bad value",
                        "deadLetter:\n  maxAttempts: ${file:/etc/hostname}", Map.of(), "the value from ${file:/etc/hostname}"),
                Arguments.of("secret key with a bad value",
                        "sinks:\n  hub: {type: token, sasTokenTtl: " + SECRET + ", connectionString: x}\n"
                                + "  cloud: {type: mqtt, uri: \"mqtt://h\"}\n  out: {type: file, path: x}",
                        Map.of(), "got a secret value (not shown)"),
                Arguments.of("empty secret from the environment",
                        "sinks:\n  hub: {type: token, connectionString: \"${CS}\"}\n"
                                + "  cloud: {type: mqtt, uri: \"mqtt://h\"}\n  out: {type: file, path: x}",
                        Map.of("CS", ""), "must not be empty (the value from ${CS} is empty)"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("leaks")
    void neverEchoesTheValue(String description, String head, Map<String, String> environment, String expected) {
        ConfigLoader loader = new ConfigLoader(List.of(TestSinkTypes.MQTT, TestSinkTypes.FILE, TOKEN_SINK),
                environment::get);

        ConfigException e = rejected(loader, withDefaults(head));

        assertThat(e.getMessage()).contains(expected).doesNotContain(SECRET);
        assertThat(e.problems()).allSatisfy(p -> assertThat(p.format()).doesNotContain(SECRET));
    }

    @Test
    void secretsAreNotShownByTheRecords() throws ConfigException {
        BridgeConfig config = TestSinkTypes.loader(Map.of("CLOUD_MQTT_PASSWORD", SECRET)).parse(withDefaults("""
                sinks:
                  cloud: {type: mqtt, uri: "mqtts://h", username: gw, password: "${CLOUD_MQTT_PASSWORD}"}
                  out: {type: file, path: x}
                """), "test");

        MqttEndpointConfig cloud = config.sink("cloud").orElseThrow().options(MqttEndpointConfig.class);
        assertThat(cloud.password()).hasValueSatisfying(p -> assertThat(p.reveal()).isEqualTo(SECRET));
        assertThat(config.toString()).doesNotContain(SECRET);
        assertThat(cloud.displayUri()).isEqualTo("mqtts://h:8883");
    }
}
