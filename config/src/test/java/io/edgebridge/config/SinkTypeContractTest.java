package io.edgebridge.config;

import static io.edgebridge.config.Yamls.rejected;
import static io.edgebridge.config.Yamls.withDefaults;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.template.Template;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the loader uses a {@link SinkType}: its options, its target keys, $ topics and downstream support. */
class SinkTypeContractTest {

    private final CloudIotType cloud = new CloudIotType();
    private final List<String> calls = cloud.calls;

    private final ConfigLoader loader = new ConfigLoader(List.of(TestSinkTypes.MQTT, TestSinkTypes.FILE, cloud),
            Map.<String, String>of()::get);

    private static final String SINKS = """
            sinks:
              aws: {type: cloud-iot, endpoint: abc.iot.example.com, maxInFlight: 10}
              cloud: {type: mqtt, uri: "mqtt://h"}
              out: {type: file, path: x}
            """;

    @Test
    void theTypeReadsItsOwnKeysAndTheLoaderReadsTypeAndMaxInFlight() throws ConfigException {
        BridgeConfig config = loader.parse(withDefaults(SINKS
                + "routes:\n  - {name: r, from: a, to: [{sink: aws, topic: a}, {sink: cloud, topic: a}, {sink: out, topic: a}]}"),
                "test");

        SinkConfig aws = config.sink("aws").orElseThrow();
        assertThat(aws.options(CloudIotType.Options.class)).isEqualTo(new CloudIotType.Options("aws", "abc.iot.example.com"));
        assertThat(aws.maxInFlight()).isEqualTo(10);
        assertThat(calls).containsExactly("options aws at sinks.aws");
        assertThat(config.upstreamRoutes().get(0).targets().get(0).sinkOptions()).isEmpty();
    }

    @Test
    void targetKeysOfTheTypeAreHandedToIt() throws ConfigException {
        BridgeConfig config = loader.parse(withDefaults(SINKS + """
                routes:
                  - name: shadow
                    from: shadow/<thing>
                    to:
                      - {sink: aws, topic: "$aws/things/<thing>/shadow/update", shadow: true, attributes: {t: <thing>}}
                      - {sink: cloud, topic: a}
                      - {sink: out, topic: a}
                """), "test");

        Target target = config.upstreamRoutes().get(0).targets().get(0);
        assertThat(target.topic().text()).startsWith("$aws/");
        assertThat(target.sinkOptions()).contains(new CloudIotType.TargetOptions(Map.of("t", Template.parse("<thing>")), true));
        assertThat(calls).contains("target routes[0].to[0] of route shadow");
    }

    @Test
    void theShorthandFormAcceptsTheTypesTargetKeysOnTheRoute() throws ConfigException {
        BridgeConfig config = loader.parse(withDefaults(SINKS + """
                routes:
                  - {name: r, from: a/<id>, sink: aws, topic: b, attributes: {id: <id>}}
                  - {name: s, from: s, to: [{sink: cloud, topic: a}, {sink: out, topic: a}]}
                """), "test");

        assertThat(config.upstreamRoutes().get(0).targets().get(0).sinkOptions()).isPresent();
    }

    @Test
    void targetKeysAreCheckedAgainstTheSinksType() {
        ConfigException e = rejected(loader, withDefaults(SINKS + """
                routes:
                  - name: r
                    from: a/<id>
                    to:
                      - {sink: aws, topic: b, atributes: {x: y}}
                      - {sink: cloud, topic: b, attributes: {x: y}}
                      - {sink: out, topic: b, attributes: {id: <idd>}}
                      - {sink: aws, topic: b, attributes: {id: <idd>}}
                """));

        assertThat(e.problems()).extracting(ConfigProblem::format).containsExactly(
                "<config>:9:31: routes[0].to[0].atributes: unknown key 'atributes' (did you mean 'attributes'?)",
                "<config>:10:33: routes[0].to[1].attributes: unknown key 'attributes'; expected one of: contentType,"
                        + " payload, properties, qos, retain, sink, template, topic",
                "<config>:11:31: routes[0].to[2].attributes: unknown key 'attributes'; expected one of: contentType,"
                        + " payload, properties, qos, retain, sink, template, topic",
                "<config>:12:48: routes[0].to[3].attributes.id: route 'r': <idd> is not bound (did you mean <id>?);"
                        + " this route binds: id; built-ins: topic, route, sink, timestamp");
    }

    @Test
    void dollarTopicsNeedATypeThatAllowsThem() {
        ConfigException e = rejected(loader, withDefaults(SINKS
                + "routes:\n  - {name: r, from: a, to: [{sink: aws, topic: $aws/x}, {sink: cloud, topic: $aws/x},"
                + " {sink: out, topic: a}]}"));

        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.format())
                .contains("routes[0].to[1].topic: a target topic must not start with '$': sink 'cloud' (type mqtt)"));
    }

    @Test
    void unknownKeysOfASinkAreReportedByTheTypesCheck() {
        ConfigException e = rejected(loader, withDefaults(
                SINKS.replace("maxInFlight: 10", "maxInFlight: 10, endpiont: x")));

        assertThat(e.problems()).extracting(ConfigProblem::message).contains(
                "unknown key 'endpiont' (did you mean 'endpoint'?)");
    }

    @Test
    void aSinkOfUnknownTypeIsNotCheckedFurtherAndItsTargetsMayUseAnyTypesKeys() {
        ConfigException e = rejected(loader, withDefaults("""
                sinks:
                  hub: {type: azure-iot-hub, connectionString: x}
                  cloud: {type: mqtt, uri: "mqtt://h"}
                  out: {type: file, path: x}
                routes:
                  - {name: r, from: a, sink: hub, topic: b, attributes: {x: y}}
                """));

        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.message())
                .isEqualTo("unknown sink type 'azure-iot-hub'; known types: cloud-iot, failover, file, mqtt"));
    }

    @Test
    void twoTypesMayNotShareAName() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new ConfigLoader(List.of(TestSinkTypes.MQTT, TestSinkTypes.MQTT)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'mqtt'");
    }
}
