package io.edgebridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.edgebridge.config.tls.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped examples load without problems or warnings, and they, like the invalid documents
 * below, are judged by {@code schema/edgebridge.schema.json} the way an editor would.
 */
class ExamplesTest {

    private static final Path EXAMPLES = Path.of("examples");
    private static final Path SCHEMA = Path.of("schema", "edgebridge.schema.json");
    /** YAML as JSON, keeping yes/no/on/off as the strings EdgeBridge sees them as. */
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS).build());

    private static JsonSchema schema;

    @BeforeAll
    static void readSchema() throws IOException {
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(new ObjectMapper().readTree(SCHEMA.toFile()));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"edgebridge.yaml", "mqtt-bridge.yaml", "failover.yaml", "conf.d"})
    void loadsWithoutProblemsOrWarnings(String example) throws ConfigException {
        BridgeConfig config = TestSinkTypes.loader().load(EXAMPLES.resolve(example));

        assertThat(config.warnings()).isEmpty();
        assertThat(config.routes()).isNotEmpty();
    }

    /** The production example names files under ${EDGEBRIDGE_ETC}; here they are made in a temporary directory. */
    @Test
    void theProductionExampleLoads_withASecuredBroker(@TempDir Path etc) throws IOException, ConfigException {
        TestPki pki = new TestPki(etc.resolve("pki"), "devices-ca");
        TestPki.Pair broker = pki.issue("broker");
        Files.copy(broker.certificate(), etc.resolve("broker.crt"));
        Files.copy(broker.privateKey(), etc.resolve("broker.key"));
        Files.copy(pki.ca(), etc.resolve("devices-ca.pem"));
        Files.writeString(etc.resolve("passwd"), "dev1:$7$101$ymfzIwgGbxW13Dx4$W2vUHCDNR7WHxk49fTkDcqJLQZUagISAfGX1QPQQp59o"
                + "Svh0Vdzhbb43T5fdJtP8pjGGzDAkAHI8UY7BikyRzA==\n");
        Map<String, String> environment = new HashMap<>(TestSinkTypes.ENVIRONMENT);
        environment.put("EDGEBRIDGE_ETC", etc.toString());

        BridgeConfig config = TestSinkTypes.loader(environment).load(EXAMPLES.resolve("production.yaml"));

        assertThat(config.warnings()).isEmpty();
        EmbeddedBrokerConfig embedded = (EmbeddedBrokerConfig) config.local().broker();
        assertThat(embedded.auth()).hasValueSatisfying(a -> {
            assertThat(a.allowAnonymous()).isFalse();
            assertThat(a.clientIds()).isEqualTo(BrokerAuth.ClientIds.USERNAME);
        });
        assertThat(embedded.listeners()).extracting(BrokerListener::display)
                .containsExactly("127.0.0.1:1883", "tls 0.0.0.0:8883");
        // Bound to the authenticated user, never to the client id a device chooses (issue 14, finding 5).
        assertThat(embedded.permissions()).hasValueSatisfying(rules -> {
            assertThat(rules.get(0).publish()).extracting(f -> f.text()).containsExactly("sensors/<username>/#");
            assertThat(rules.get(0).subscribe()).extracting(f -> f.text()).containsExactly("commands/<username>/#");
            assertThat(rules).flatExtracting(r -> r.publish()).noneMatch(f -> f.usesClientId());
            assertThat(rules).flatExtracting(r -> r.subscribe()).noneMatch(f -> f.usesClientId());
        });
    }

    @Test
    void theSmallestExampleIsWhatTheDocsSay() throws ConfigException {
        BridgeConfig config = TestSinkTypes.loader().load(EXAMPLES.resolve("edgebridge.yaml"));

        assertThat(config.sink("out").orElseThrow().options(TestSinkTypes.FileOptions.class).path())
                .isEqualTo(Path.of("data/out/messages.jsonl"));
        assertThat(config.upstreamRoutes()).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("telemetry");
            assertThat(r.from().text()).isEqualTo("sensors/<deviceId>/<metric>");
            assertThat(r.targets()).singleElement()
                    .satisfies(t -> assertThat(t.topic().text()).isEqualTo("edge/<deviceId>/telemetry/<metric>"));
        });
    }

    @Test
    void theCompleteExampleOfTheReferenceLoadsAndMatchesTheSchema() throws IOException, ConfigException {
        String reference = Files.readString(Path.of("..", "docs", "CONFIG.md"));
        int start = reference.indexOf("```yaml\n") + "```yaml\n".length();
        String example = reference.substring(start, reference.indexOf("```", start));

        BridgeConfig config = TestSinkTypes.loader().parse(example, "CONFIG.md");

        assertThat(config.sinks()).containsOnlyKeys("cloud", "audit");
        assertThat(config.routes()).extracting(RouteConfig::name).containsExactly("telemetry", "commands");
        assertThat(config.warnings()).isEmpty();
        assertThat(validate(example)).isEmpty();
    }

    static Stream<Path> exampleFiles() throws IOException {
        try (Stream<Path> files = Files.walk(EXAMPLES)) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleFiles")
    void matchesTheSchema(Path example) throws IOException {
        assertThat(validate(Files.readString(example))).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "sinks:\n  out: {type: file, path: x, maxInFlight: \"${MAX_IN_FLIGHT}\", fsync: \"${FSYNC}\"}",
            "sinks:\n  hub: {type: other-cloud, connectionString: x, anything: [1, 2]}",
            "sinks:\n  cloud: {type: mqtt, uri: \"${CLOUD_URI}\", keepAlive: 0, protocol: \"3.1.1\"}",
            "routes:\n  - {name: a, from: a/<x>, sink: hub, topic: b, attributes: {x: <x>}}",
            "routes:\n  - {name: d, direction: downstream, sink: cloud, from: c/<x>, to: {topic: l/<x>, retain: true}}",
            "local:\n  broker: mqtts://h:8883\n  username: u\n  tls: {ca: /ca.pem}",
            "spool: {maxBytes: 1.5GB, maxAge: 0, whenFull: refuse-new}",
            "local:\n  embedded:\n    listeners: [{port: 8883, tls: {certificate: c, privateKey: k, clientAuth: none}}]\n"
                    + "    auth: {passwordFile: p}\n    permissions: [{users: u, publish: [a/<username>/#]}]",
            "spool: {whenFull: \"${SPOOL_WHEN_FULL}\"}",
            "routes:\n  - {name: a, direction: \"${DIRECTION}\", from: a, sink: s, topic: t}",
            "sinks:\n  cloud: {type: mqtt, uri: \"mqtt://h\", rateLimit: {messages: 100, bytes: 64KB}}",
            "sinks:\n  out: {type: file, path: x, rateLimit: {messages: \"${RATE}\"}}",
            "sinks:\n  g: {type: failover, members: [a, \"${B}\"], switchAfterFailures: \"5\", switchBackAfter: 0}",
            "admin: {enabled: false, address: 0.0.0.0, port: 0, readyWindow: 3s}",
            "sinks:\n  out: {type: file, path: x, required: false, probe: {topic: p/probe, interval: 10s}}",
            "sinks:\n  cloud: {type: mqtt, uri: \"mqtt://h\", probe: {topic: p}}",
            "sinks:\n  hub: {type: azure-iot-hub, connectionString: x, required: \"${HUB_REQUIRED}\", probe: {topic: p}}",
            "routes:\n  telemetry: {from: a/<x>, sink: hub, topic: b}\n  cmd: {direction: downstream, from: {sink: s, topic: c}, to: l}",
            "sinks:\n  ps: {type: gcp-pubsub, project: my-project, emulatorHost: \"localhost:8085\", downstream: {subscription: s-1}}",
    })
    void theSchemaAcceptsWhatTheLoaderAccepts(String yaml) throws IOException {
        assertThat(validate(yaml)).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "sinkz: {}",
            "dataDir: [a]",
            "sinks: {}",
            "routes: []",
            "sinks:\n  cloud: {type: mqtt}",
            "sinks:\n  cloud: {type: mqtt, uri: \"mqtt://h\", usrname: u}",
            "sinks:\n  cloud: {type: mqtt, uri: \"mqtt://u:p@h\"}",
            "sinks:\n  cloud: {type: mqtt, uri: \"https://h\"}",
            "sinks:\n  cloud: {type: mqtt, uri: \"mqtt://h\", keepAlive: 60}",
            "sinks:\n  out: {type: file, path: x, fsync: yes}",
            "sinks:\n  out: {type: file, path: x, maxFiles: 0}",
            "sinks:\n  out: {type: file}",
            "sinks:\n  bad name: {type: file, path: x}",
            "sinks:\n  out: {type: file, path: x, rateLimit: {}}",
            "sinks:\n  out: {type: file, path: x, rateLimit: {messages: 0}}",
            "sinks:\n  out: {type: file, path: x, rateLimit: {msgs: 10}}",
            "sinks:\n  out: {type: file, path: x, rateLimit: 100}",
            "spool: {whenFull: drop_oldest}",
            "spool: {maxAge: 7 days}",
            "spool: {maxBytes: 2 gigs}",
            "local:\n  username: u",
            "local:\n  broker: mqtt://h\n  embedded: {port: 1}",
            "local:\n  embedded: {port: 70000}",
            "local:\n  embedded: {port: 1883, listeners: [{port: 1884}]}",
            "local:\n  embedded: {listeners: [{address: 0.0.0.0}]}",
            "local:\n  embedded: {listeners: [{port: 8883, tls: {certificate: c.pem}}]}",
            "local:\n  embedded: {auth: {allowAnonymous: false}}",
            "local:\n  embedded: {permissions: [{clients: [a]}]}",
            "routes:\n  - {name: a, from: a, to: [{sink: s, topic: t, qos: 3}]}",
            "routes:\n  - {name: a, from: a, to: [{sink: s, topic: t, template: x}]}",
            "routes:\n  - {name: a, from: a, to: [{sink: s, topic: t, payload: template}]}",
            "routes:\n  - {name: a, from: a, sink: s, topic: t, to: [{sink: s, topic: t}]}",
            "routes:\n  - {name: a, from: a, form: b, to: [{sink: s, topic: t}]}",
            "routes:\n  - {name: a, to: [{sink: s, topic: t}]}",
            "routes:\n  - {from: a, sink: s, topic: t}",
            "routes:\n  - {name: d, direction: downstream, from: c, to: l}",
            "routes:\n  - {name: d, direction: downstream, from: {sink: s, topic: c}, to: {topic: l, qos: 1}}",
            "sinks:\n  g: {type: failover}",
            "sinks:\n  g: {type: failover, members: [a]}",
            "sinks:\n  g: {type: failover, members: [a, a]}",
            "sinks:\n  g: {type: failover, members: [a, b], switchAfterFailures: 0}",
            "sinks:\n  g: {type: failover, members: [a, b], uri: \"mqtt://h\"}",
            "admin: {port: 70000}",
            "admin: {prot: 9090}",
            "admin: {enabled: yes}",
            "sinks:\n  out: {type: file, path: x, probe: {interval: 10s}}",
            "sinks:\n  out: {type: file, path: x, probe: {topic: a/#}}",
            "sinks:\n  out: {type: file, path: x, probe: {topic: p, every: 1s}}",
            "routes: {}",
            "routes:\n  telemetry: {name: telemetry, from: a, sink: s, topic: t}",
            "routes:\n  bad name: {from: a, sink: s, topic: t}",
            "routes:\n  telemetry: a/b",
            "sinks:\n  ps: {type: gcp-pubsub, project: my-project, batching: {count: 1}}",
            "sinks:\n  ps: {type: gcp-pubsub, emulatorHost: \"localhost:8085\"}",
    })
    void theSchemaRejectsMistakes(String yaml) throws IOException {
        assertThat(validate(yaml)).isNotEmpty();
    }

    private static Set<ValidationMessage> validate(String yaml) throws IOException {
        JsonNode document = YAML.readTree(yaml);
        return schema.validate(document);
    }
}
