package io.edgebridge.config;

import static io.edgebridge.config.Yamls.load;
import static io.edgebridge.config.Yamls.withDefaults;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.tls.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a valid configuration turns into: values, defaults and locations. */
class LoadedConfigTest {

    @Test
    void aMinimalConfigGetsEveryDefault() throws ConfigException {
        BridgeConfig config = load(withDefaults(""));

        assertThat(config.dataDir()).isEqualTo(Path.of("data"));
        assertThat(config.local().broker()).isEqualTo(new EmbeddedBrokerConfig("0.0.0.0", 1883, Path.of("data/broker"),
                EmbeddedBrokerConfig.Persistence.FILE, 10_000, EmbeddedBrokerConfig.QueueStrategy.DISCARD,
                EmbeddedBrokerConfig.Intake.EXTENSION));
        assertThat(config.local().endpoint()).isEqualTo(new MqttEndpointConfig("127.0.0.1", 1883, false, "edgebridge",
                Optional.empty(), Optional.empty(), Optional.empty(), MqttVersion.V5, Duration.ofDays(1),
                Duration.ofSeconds(60), Duration.ofSeconds(10),
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.5)));
        assertThat(config.spool()).isEqualTo(new SpoolConfig(Path.of("data/spool"), 1024L * 1024 * 1024,
                Duration.ofDays(7), SpoolConfig.WhenFull.DROP_OLDEST));
        assertThat(config.deadLetter()).isEqualTo(
                new DeadLetterConfig(Template.parse("edgebridge/dead-letter/<sink>/<route>"), 5));
        assertThat(config.stats()).isEqualTo(new StatsConfig(Duration.ofSeconds(60)));
        assertThat(config.reload()).isEqualTo(new ReloadConfig(true, Duration.ofSeconds(2)));
        assertThat(config.admin()).isEqualTo(new AdminConfig(true, "127.0.0.1", 9090, Duration.ofSeconds(30)));
        assertThat(config.sinks().values()).allSatisfy(sink -> {
            assertThat(sink.required()).isTrue();
            assertThat(sink.probe()).isEmpty();
        });
        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void adminAndTheCommonSinkKeysRequiredAndProbeAreRead() throws ConfigException {
        BridgeConfig config = load(withDefaults("""
                admin: {enabled: false, address: 0.0.0.0, port: 0, readyWindow: 3s}
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtt://broker.example.com:1883
                    probe: {topic: gateways/gw-01/probe}
                  out:
                    type: file
                    path: out/messages.jsonl
                    required: false
                    probe: {topic: probe, interval: 5m}
                """));

        assertThat(config.admin()).isEqualTo(new AdminConfig(false, "0.0.0.0", 0, Duration.ofSeconds(3)));
        SinkConfig cloud = config.sink("cloud").orElseThrow();
        assertThat(cloud.required()).isTrue();
        assertThat(cloud.probe()).contains(new ProbeConfig("gateways/gw-01/probe", Duration.ofSeconds(30)));
        SinkConfig out = config.sink("out").orElseThrow();
        assertThat(out.required()).isFalse();
        assertThat(out.probe()).contains(new ProbeConfig("probe", Duration.ofMinutes(5)));
        assertThat(out.options(TestSinkTypes.FileOptions.class).path()).isEqualTo(Path.of("out/messages.jsonl"));
    }

    @Test
    void sectionsOverrideDefaultsAndPathsDeriveFromDataDir() throws ConfigException {
        BridgeConfig config = load(withDefaults("""
                dataDir: /var/lib/edgebridge
                local:
                  clientId: gw-local
                  keepAlive: 30s
                  embedded: {address: "::", port: 1884, persistence: in-memory, maxQueueSize: 500,
                             queueStrategy: discard-oldest, intake: mqtt}
                spool: {maxBytes: 1.5GB, maxAge: 0, whenFull: refuse-new}
                deadLetter: {topic: "dl/<route>/<topic>", maxAttempts: 10}
                stats: {logInterval: 0}
                reload: {watch: false, interval: 10s}
                """));

        assertThat(config.local().broker()).isEqualTo(new EmbeddedBrokerConfig("::", 1884,
                Path.of("/var/lib/edgebridge/broker"), EmbeddedBrokerConfig.Persistence.IN_MEMORY, 500,
                EmbeddedBrokerConfig.QueueStrategy.DISCARD_OLDEST, EmbeddedBrokerConfig.Intake.MQTT));
        assertThat(config.local().endpoint().host()).isEqualTo("127.0.0.1");
        assertThat(config.local().endpoint().port()).isEqualTo(1884);
        assertThat(config.local().endpoint().clientId()).isEqualTo("gw-local");
        assertThat(config.local().endpoint().keepAlive()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.spool()).isEqualTo(new SpoolConfig(Path.of("/var/lib/edgebridge/spool"), 1536L * 1024 * 1024,
                Duration.ZERO, SpoolConfig.WhenFull.REFUSE_NEW));
        assertThat(config.deadLetter().topic().placeholderNames()).containsExactly("route", "topic");
        assertThat(config.deadLetter().maxAttempts()).isEqualTo(10);
        assertThat(config.stats().logInterval()).isZero();
        assertThat(config.reload()).isEqualTo(new ReloadConfig(false, Duration.ofSeconds(10)));
    }

    @Test
    void anExternalLocalBrokerIsReachedThroughItsEndpoint() throws ConfigException {
        BridgeConfig config = load(withDefaults("""
                local:
                  broker: mqtts://mosquitto.local
                  username: bridge
                  password: pw
                  protocol: 3.1.1
                  sessionExpiry: 0
                  reconnect: {min: 500ms, max: 10s, jitter: 0}
                """));

        MqttEndpointConfig endpoint = config.local().endpoint();
        assertThat(config.local().broker()).isEqualTo(new ExternalBrokerConfig(endpoint));
        assertThat(endpoint.host()).isEqualTo("mosquitto.local");
        assertThat(endpoint.port()).isEqualTo(8883);
        assertThat(endpoint.tls()).isTrue();
        assertThat(endpoint.clientId()).isEqualTo("edgebridge");
        assertThat(endpoint.username()).contains("bridge");
        assertThat(endpoint.password()).contains(new Secret("pw"));
        assertThat(endpoint.version()).isEqualTo(MqttVersion.V3_1_1);
        assertThat(endpoint.sessionExpiry()).isZero();
        assertThat(endpoint.reconnect()).isEqualTo(new Backoff(Duration.ofMillis(500), Duration.ofSeconds(10), 0));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            mqtt://h                  | h         | 1883 | false
            mqtts://h                 | h         | 8883 | true
            MQTT://h:1884             | h         | 1884 | false
            mqtts://10.0.0.1:18883/   | 10.0.0.1  | 18883| true
            mqtt://[::1]:1883         | ::1       | 1883 | false
            """)
    void endpointsTakeHostAndPortFromTheUri(String uri, String host, int port, boolean tls) throws ConfigException {
        BridgeConfig config = load(withDefaults("sinks:\n  cloud: {type: mqtt, uri: \"" + uri + "\"}\n"
                + "  out: {type: file, path: x}"));

        MqttEndpointConfig endpoint = config.sink("cloud").orElseThrow().options(MqttEndpointConfig.class);
        assertThat(endpoint.host()).isEqualTo(host);
        assertThat(endpoint.port()).isEqualTo(port);
        assertThat(endpoint.tls()).isEqualTo(tls);
        assertThat(endpoint.clientId()).isEqualTo("edgebridge-cloud");
        assertThat(endpoint.version()).isEqualTo(MqttVersion.V5);
        assertThat(endpoint.reconnect()).isEqualTo(Backoff.DEFAULT_RECONNECT);
    }

    @Test
    void protocolFiveMayBeANumberOrAString() throws ConfigException {
        for (String protocol : List.of("5", "\"5\"", "'3.1.1'")) {
            BridgeConfig config = load(withDefaults("sinks:\n  cloud: {type: mqtt, uri: \"mqtt://h\", protocol: "
                    + protocol + "}\n  out: {type: file, path: x}"));
            assertThat(config.sink("cloud").orElseThrow().options(MqttEndpointConfig.class).version())
                    .isEqualTo(protocol.contains("3") ? MqttVersion.V3_1_1 : MqttVersion.V5);
        }
    }

    @Test
    void tlsFilesAreResolvedToAbsolutePaths(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"), "ca");
        TestPki.Pair pair = pki.issue("c");
        Path ca = pki.ca();
        Path cert = pair.certificate();
        Path key = pair.privateKey();

        BridgeConfig config = load(withDefaults("""
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtts://h
                    tls: {ca: %s, certificate: %s, privateKey: %s, privateKeyPassword: kp, verifyHostname: false}
                  out: {type: file, path: x}
                """.formatted(ca, cert, key)));

        TlsConfig tls = config.sink("cloud").orElseThrow().options(MqttEndpointConfig.class).tlsFiles().orElseThrow();
        assertThat(tls).isEqualTo(new TlsConfig(Optional.of(ca), Optional.of(cert), Optional.of(key),
                Optional.of(new Secret("kp")), false));
    }

    @Test
    void upstreamTargetsCarryEverythingTheEngineRenders() throws ConfigException {
        BridgeConfig config = load(withDefaults("""
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/#
                    to:
                      - sink: cloud
                        topic: edge/<deviceId>/<#>
                        qos: 0
                        retain: true
                        payload: template
                        template: '{"d":"<deviceId>","p":<payload>}'
                        properties: {src: <topic>, at: <timestamp>}
                        contentType: application/json
                  - name: single
                    from: single/+/<id>
                    sink: out
                    topic: out/<id>
                """));

        UpstreamRoute telemetry = config.upstreamRoutes().get(0);
        assertThat(telemetry.from().bindingNames()).containsExactly("deviceId", "#");
        Target target = telemetry.targets().get(0);
        assertThat(target.sink()).isEqualTo("cloud");
        assertThat(target.topic()).isEqualTo(Template.parse("edge/<deviceId>/<#>"));
        assertThat(target.qos()).isZero();
        assertThat(target.retain()).isTrue();
        assertThat(target.payload().mode()).isEqualTo(Payload.Mode.TEMPLATE);
        assertThat(target.payload().template()).contains(Template.parse("{\"d\":\"<deviceId>\",\"p\":<payload>}"));
        assertThat(target.properties()).containsOnlyKeys("src", "at");
        assertThat(target.contentType()).contains(Template.parse("application/json"));
        assertThat(target.sinkOptions()).isEmpty();
        assertThat(target.location().line()).isEqualTo(5);
        assertThat(target.location().keyPath()).isEqualTo("routes[0].to[0]");

        UpstreamRoute single = config.upstreamRoutes().get(1);
        assertThat(single.targets()).singleElement().satisfies(t -> {
            assertThat(t.sink()).isEqualTo("out");
            assertThat(t.qos()).isEqualTo(1);
            assertThat(t.payload()).isEqualTo(Payload.RAW);
            assertThat(t.location().keyPath()).isEqualTo("routes[1]");
        });
        assertThat(single.location().line()).isEqualTo(13);
    }

    @Test
    void downstreamRoutesTakeTheirSinkFromEitherPlace() throws ConfigException {
        BridgeConfig config = load(withDefaults("""
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>
                    sink: out
                    topic: edge/<deviceId>
                  - name: commands
                    direction: downstream
                    from: {sink: cloud, topic: "$aws/things/<thing>/shadow/#"}
                    to:
                      topic: devices/<thing>/shadow
                      payload: template
                      template: '{"rest":"<#>","data":<payload>}'
                      retain: true
                      properties: {cloudTopic: <topic>}
                  - name: config
                    direction: downstream
                    sink: cloud
                    from: config/<deviceId>
                    to: devices/<deviceId>/config/<route>/<sink>
                """));

        assertThat(config.downstreamRoutes()).hasSize(2);
        DownstreamRoute commands = config.downstreamRoutes().get(0);
        assertThat(commands.sink()).isEqualTo("cloud");
        assertThat(commands.direction()).isEqualTo(Direction.DOWNSTREAM);
        assertThat(commands.from().bindingNames()).containsExactly("thing", "#");
        assertThat(commands.target().retain()).isTrue();
        assertThat(commands.target().payload().mode()).isEqualTo(Payload.Mode.TEMPLATE);
        assertThat(commands.target().properties()).containsOnlyKeys("cloudTopic");
        DownstreamRoute configRoute = config.downstreamRoutes().get(1);
        assertThat(configRoute.sink()).isEqualTo("cloud");
        assertThat(configRoute.target().topic().text()).isEqualTo("devices/<deviceId>/config/<route>/<sink>");
        assertThat(configRoute.target().payload()).isEqualTo(Payload.RAW);
        assertThat(configRoute.target().location().keyPath()).isEqualTo("routes[2].to");
    }

    @Test
    void sinksKeepDeclarationOrderAndLocation() throws ConfigException {
        BridgeConfig config = load(withDefaults("""
                sinks:
                  zeta: {type: file, path: z, maxInFlight: 5}
                  cloud: {type: mqtt, uri: "mqtt://h"}
                  out:
                    type: file
                    path: out.jsonl
                    maxFileSize: 1MB
                    maxFiles: 2
                    fsync: false
                routes:
                  - {name: a, from: a, sink: zeta, topic: a}
                  - {name: b, from: b, to: [{sink: cloud, topic: b}, {sink: out, topic: b}]}
                """));

        assertThat(config.sinks().keySet()).containsExactly("zeta", "cloud", "out");
        assertThat(config.sink("zeta").orElseThrow().maxInFlight()).isEqualTo(5);
        assertThat(config.sink("cloud").orElseThrow().maxInFlight()).isEqualTo(1000);
        SinkConfig out = config.sink("out").orElseThrow();
        assertThat(out.options(TestSinkTypes.FileOptions.class))
                .isEqualTo(new TestSinkTypes.FileOptions(Path.of("out.jsonl"), 1024 * 1024, 2, false));
        assertThat(out.location().line()).isEqualTo(5);
        assertThat(out.location().column()).isEqualTo(5);
        assertThat(out.location().keyPath()).isEqualTo("sinks.out");
        assertThat(out.type()).isEqualTo("file");
    }

    @Test
    void rateLimitsAreReadPerSink_messagesBytesOrBoth() throws ConfigException {
        BridgeConfig config = load(withDefaults("""
                sinks:
                  both: {type: mqtt, uri: "mqtt://h", rateLimit: {messages: 100, bytes: 64KB}}
                  count: {type: file, path: c, rateLimit: {messages: 1000000}}
                  size:
                    type: file
                    path: s
                    rateLimit:
                      bytes: 1KB
                  free: {type: file, path: f}
                routes:
                  - {name: a, from: a, to: [{sink: both, topic: a}, {sink: count, topic: a}]}
                  - {name: b, from: b, to: [{sink: size, topic: b}, {sink: free, topic: b}]}
                """));

        assertThat(config.sink("both").orElseThrow().rateLimit())
                .contains(new RateLimit(OptionalInt.of(100), OptionalLong.of(64 * 1024)));
        assertThat(config.sink("count").orElseThrow().rateLimit()).contains(RateLimit.messages(1_000_000));
        assertThat(config.sink("size").orElseThrow().rateLimit()).contains(RateLimit.bytes(1024));
        assertThat(config.sink("free").orElseThrow().rateLimit()).isEmpty();
    }

    @Test
    void substitutionHappensBeforeConversion(@TempDir Path dir) throws IOException, ConfigException {
        Path secret = Files.writeString(dir.resolve("pw"), "from-file\n");
        Map<String, String> env = Map.of("HOST", "broker.example.com", "PORT", "18883", "KEEPALIVE", "15s",
                "CLOUD_MQTT_PASSWORD", "x");

        BridgeConfig config = TestSinkTypes.loader(env).parse(withDefaults("""
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtts://${HOST}:${PORT}
                    keepAlive: ${KEEPALIVE}
                    clientId: ${CLIENT_ID:-gw-default}
                    password: ${file:%s}
                  out: {type: file, path: "$${not-substituted}"}
                """.formatted(secret)), "test");

        MqttEndpointConfig cloud = config.sink("cloud").orElseThrow().options(MqttEndpointConfig.class);
        assertThat(cloud.host()).isEqualTo("broker.example.com");
        assertThat(cloud.port()).isEqualTo(18883);
        assertThat(cloud.keepAlive()).isEqualTo(Duration.ofSeconds(15));
        assertThat(cloud.clientId()).isEqualTo("gw-default");
        assertThat(cloud.password()).contains(new Secret("from-file"));
        assertThat(config.sink("out").orElseThrow().options(TestSinkTypes.FileOptions.class).path())
                .isEqualTo(Path.of("${not-substituted}"));
    }

    @Test
    void anchorsAndMergeKeysAreUnderstood() throws ConfigException {
        BridgeConfig config = load(withDefaults("""
                sinks:
                  cloud: &mqttDefaults {type: mqtt, uri: "mqtt://h", keepAlive: 20s}
                  backup:
                    <<: *mqttDefaults
                    uri: mqtt://backup
                  out: {type: file, path: x}
                routes:
                  - {name: a, from: a, to: [{sink: cloud, topic: a}, {sink: backup, topic: a}, {sink: out, topic: a}]}
                """));

        MqttEndpointConfig backup = config.sink("backup").orElseThrow().options(MqttEndpointConfig.class);
        assertThat(backup.host()).isEqualTo("backup");
        assertThat(backup.keepAlive()).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void aKeyWithoutValueCountsAsAbsent() throws ConfigException {
        BridgeConfig config = load(withDefaults("local:\nspool:\n  maxAge:\nstats: ~\n"));

        assertThat(config.spool().maxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(config.local().broker()).isInstanceOf(EmbeddedBrokerConfig.class);
    }
}
