package io.edgebridge.config;

import static io.edgebridge.config.Yamls.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.template.Template;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Sinks of {@code type: failover}: their keys, their members, and what routes naming them may do. */
class FailoverConfigTest {

    private final ConfigLoader loader = new ConfigLoader(List.of(TestSinkTypes.MQTT, TestSinkTypes.FILE, new CloudIotType()),
            Map.<String, String>of()::get);

    private static final String SINKS = """
            sinks:
              cloud:
                type: failover
                members: [primary, secondary]
              primary: {type: mqtt, uri: "mqtt://primary.example.com"}
              secondary: {type: mqtt, uri: "mqtt://secondary.example.com"}
              aws-a: {type: cloud-iot, endpoint: a.example.com}
              aws-b: {type: cloud-iot, endpoint: b.example.com}
              out: {type: file, path: x}
            """;

    private BridgeConfig load(String yaml) throws ConfigException {
        return loader.parse(yaml, "test");
    }

    private static String withRoutes(String sinks, String... targets) {
        StringBuilder yaml = new StringBuilder(sinks).append("routes:\n  - name: r\n    from: a/<id>\n    to:\n");
        for (String target : targets) {
            yaml.append("      - ").append(target).append('\n');
        }
        return yaml.toString();
    }

    @Test
    void aGroupDefinedBeforeItsMembers_hasTheDefaults() throws ConfigException {
        BridgeConfig config = load(withRoutes(SINKS, "{sink: cloud, topic: b/<id>}", "{sink: aws-a, topic: b}",
                "{sink: aws-b, topic: b}", "{sink: out, topic: b}"));

        SinkConfig group = config.sink("cloud").orElseThrow();
        assertThat(group.type()).isEqualTo(FailoverOptions.TYPE);
        assertThat(group.maxInFlight()).isEqualTo(1000);
        assertThat(group.options(FailoverOptions.class)).isEqualTo(new FailoverOptions(List.of("primary", "secondary"),
                3, Duration.ofSeconds(5), Duration.ofSeconds(30)));
        assertThat(config.warnings()).as("members used through the group are used").isEmpty();
    }

    @Test
    void everyKeyOfAGroupIsRead() throws ConfigException {
        BridgeConfig config = load(withRoutes(SINKS.replace("members: [primary, secondary]", """
                members: [secondary, primary, out]
                    maxInFlight: 50
                    switchAfterFailures: 10
                    switchAfterDisconnected: 1s
                    switchBackAfter: 2m"""), "{sink: cloud, topic: b/<id>}", "{sink: aws-a, topic: b}",
                "{sink: aws-b, topic: b}"));

        SinkConfig group = config.sink("cloud").orElseThrow();
        assertThat(group.maxInFlight()).isEqualTo(50);
        assertThat(group.options(FailoverOptions.class)).isEqualTo(new FailoverOptions(
                List.of("secondary", "primary", "out"), 10, Duration.ofSeconds(1), Duration.ofMinutes(2)));
    }

    @Test
    void anUnusedGroupIsWarnedAbout_notItsMembers() throws ConfigException {
        BridgeConfig config = load(withRoutes(SINKS, "{sink: aws-a, topic: b}", "{sink: aws-b, topic: b}",
                "{sink: out, topic: b}"));

        assertThat(config.warnings()).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("sink 'cloud' is not used by any route"));
    }

    @Test
    void targetKeysOfTheMembersCommonType_areParsedByThatType() throws ConfigException {
        BridgeConfig config = load(withRoutes(SINKS + "  aws:\n    type: failover\n    members: [aws-a, aws-b]\n",
                "{sink: aws, topic: \"$aws/things/<id>/shadow/update\", attributes: {id: <id>}}",
                "{sink: cloud, topic: b}", "{sink: out, topic: b}"));

        Target target = config.upstreamRoutes().get(0).targets().get(0);
        assertThat(target.topic().text()).startsWith("$aws/");
        assertThat(target.sinkOptions()).contains(new CloudIotType.TargetOptions(Map.of("id", Template.parse("<id>")), false));
    }

    @Test
    void membersOfDifferentTypes_refuseTypeSpecificTargetKeysAndDollarTopics() {
        ConfigException e = rejected(loader, withRoutes(
                SINKS + "  mixed:\n    type: failover\n    members: [aws-a, primary]\n",
                "{sink: mixed, topic: b, attributes: {id: <id>}}",
                "{sink: mixed, topic: $aws/b}",
                "{sink: cloud, topic: b}", "{sink: aws-b, topic: b}", "{sink: out, topic: b}"));

        assertThat(e.problems()).extracting(ConfigProblem::format).containsExactly(
                "<config>:17:45: routes[0].to[0].attributes: 'attributes' is a target key of sink type cloud-iot;"
                        + " failover group 'mixed' has members of types cloud-iot, mqtt, so its targets take only the"
                        + " keys every sink takes (sink, topic, qos, retain, payload, template, properties, contentType)",
                "<config>:18:30: routes[0].to[1].topic: a target topic must not start with '$': not every member of"
                        + " failover group 'mixed' publishes to $ topics");
    }

    @Test
    void aKeyNoMemberKnows_isAnUnknownKey() {
        ConfigException e = rejected(loader, withRoutes(SINKS, "{sink: cloud, topic: b, attributes: {x: y}}",
                "{sink: aws-a, topic: b}", "{sink: aws-b, topic: b}", "{sink: out, topic: b}"));

        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.format())
                .contains("routes[0].to[0].attributes: unknown key 'attributes'"));
    }

    static Stream<Arguments> mistakes() {
        String members = "members: [primary, secondary]";
        return Stream.of(
                Arguments.of(members, "membres: [primary, secondary]",
                        "unknown key 'membres' (did you mean 'members'?)", 4),
                Arguments.of(members, "members: ", "a failover group needs 'members'", 4),
                Arguments.of(members, "members: primary", "members: expected a list, not a single value", 4),
                Arguments.of(members, "members: [primary]", "a failover group needs at least two members", 4),
                Arguments.of(members, "members: [primary, [secondary]]",
                        "members[1]: expected a single value (scalar), not a list", 4),
                Arguments.of(members, "members: [primary, secondry]",
                        "unknown sink 'secondry' in failover group 'cloud' (did you mean 'secondary'?)", 4),
                Arguments.of(members, "members: [primary, nowhere]",
                        "unknown sink 'nowhere' in failover group 'cloud'; defined sinks: aws-a, aws-b, out, primary,"
                                + " secondary", 4),
                Arguments.of(members, "members: [primary, cloud]", "failover group 'cloud' cannot be a member of itself", 4),
                Arguments.of(members, "members: [primary, secondary, primary]",
                        "sink 'primary' is listed twice in failover group 'cloud'", 4),
                Arguments.of(members, "members: [primary, other]\n  other: {type: failover, members: [aws-a, aws-b]}",
                        "sink 'other' is itself a failover group; list its members instead (groups cannot be nested)", 4),
                Arguments.of(members, members + "\n    switchAfterFailures: 0", "expected a number from 1 to 1000; got '0'", 5),
                Arguments.of(members, members + "\n    switchAfterDisconnected: soon", "expected a duration", 5),
                Arguments.of(members, members + "\n    switchBackAfter: 2d", "expected a duration from 0 to 1d", 5),
                Arguments.of(members, members + "\n    uri: mqtt://h", "unknown key 'uri'", 5));
    }

    @ParameterizedTest(name = "[{index}] {2}")
    @MethodSource("mistakes")
    void reportsTheMistake(String original, String replacement, String expected, int line) {
        ConfigException e = rejected(loader, withRoutes(SINKS.replace(original, replacement),
                "{sink: aws-a, topic: b}", "{sink: aws-b, topic: b}", "{sink: out, topic: b}"));

        assertThat(e.problems()).as(e.getMessage()).anySatisfy(p -> {
            assertThat(p.format()).contains(expected);
            assertThat(p.location().line()).isEqualTo(line);
        });
    }

    @Test
    void aGroupCannotBeADownstreamSource() {
        ConfigException e = rejected(loader, SINKS + """
                routes:
                  - {name: up, from: a, to: [{sink: cloud, topic: b}, {sink: aws-a, topic: b}, {sink: aws-b, topic: b}, {sink: out, topic: b}]}
                  - name: commands
                    direction: downstream
                    from: {sink: cloud, topic: commands/<id>}
                    to: devices/<id>/commands
                """);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.format()).contains("routes[1].from.sink: sink 'cloud' is a failover group and cannot be a"
                    + " downstream source; name one of its members as the source instead");
            assertThat(p.location().line()).isEqualTo(14);
        });
    }

    @Test
    void failoverIsAKnownType() {
        ConfigException e = rejected(loader, withRoutes(SINKS.replace("type: failover", "type: failovr"),
                "{sink: aws-a, topic: b}"));

        assertThat(e.problems()).anySatisfy(p -> assertThat(p.message())
                .isEqualTo("unknown sink type 'failovr' (did you mean 'failover'?); known types: cloud-iot, failover,"
                        + " file, mqtt"));
    }

    @Test
    void noSinkTypeMayClaimTheNameFailover() {
        SinkType impostor = new SinkType() {
            @Override
            public String type() {
                return "failover";
            }

            @Override
            public Object parseOptions(String sinkName, ConfigMap options) {
                return null;
            }
        };

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ConfigLoader(List.of(impostor)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'failover' is built in");
    }
}
