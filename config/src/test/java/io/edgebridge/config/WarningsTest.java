package io.edgebridge.config;

import static io.edgebridge.config.Yamls.load;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WarningsTest {

    @Test
    void aSinkNoRouteUsesIsAWarning() throws ConfigException {
        BridgeConfig config = load("""
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://h"}
                  spare: {type: file, path: x}
                routes:
                  - {name: a, from: a, sink: cloud, topic: a}
                """);

        assertThat(config.warnings()).singleElement().satisfies(w -> {
            assertThat(w.format()).isEqualTo("<config>:3:10: sinks.spare: sink 'spare' is not used by any route");
        });
    }

    @Test
    void aDownstreamTopicThatAnUpstreamRouteWouldPickUpIsAWarning() throws ConfigException {
        BridgeConfig config = load("""
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://h"}
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/#
                    sink: cloud
                    topic: up/<deviceId>
                  - name: status
                    from: status/+
                    sink: cloud
                    topic: status
                  - name: commands
                    direction: downstream
                    from: {sink: cloud, topic: commands/<deviceId>}
                    to: devices/<deviceId>/commands
                """);

        assertThat(config.warnings()).singleElement().satisfies(w -> {
            assertThat(w.message()).isEqualTo("messages published by downstream route 'commands' also match upstream"
                    + " route 'telemetry'; EdgeBridge marks its own publishes and never forwards them upstream again");
            assertThat(w.location().line()).isEqualTo(15);
        });
    }

    @Test
    void placeholdersInsideALevelMakeTheWholeLevelAWildcard() throws ConfigException {
        BridgeConfig config = load("""
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://h"}
                routes:
                  - {name: up, from: local/dev-1/cmd, sink: cloud, topic: x}
                  - {name: down, direction: downstream, from: {sink: cloud, topic: c/<id>}, to: local/dev-<id>/cmd}
                """);

        assertThat(config.warnings()).singleElement()
                .satisfies(w -> assertThat(w.message()).contains("'down' also match upstream route 'up'"));
    }

    @Test
    void separateTopicTreesGiveNoWarning() throws ConfigException {
        BridgeConfig config = load("""
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://h"}
                routes:
                  - {name: up, from: sensors/#, sink: cloud, topic: x}
                  - {name: down, direction: downstream, from: {sink: cloud, topic: c/<id>}, to: devices/<id>/cmd}
                """);

        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void twoDownstreamRoutesOfOneSinkMatchingOneCloudTopicToOneLocalTopic_isAWarningNamingBoth() throws ConfigException {
        // The shipped AWS example had exactly this: every shadow delta reached the devices twice.
        BridgeConfig config = load("""
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://h"}
                routes:
                  - {name: up, from: sensors/#, sink: cloud, topic: x}
                  - name: shadow-delta
                    direction: downstream
                    from: { sink: cloud, topic: $aws/things/<deviceId>/shadow/update/delta }
                    to: devices/<deviceId>/shadow/delta
                  - name: shadow-responses
                    direction: downstream
                    from: { sink: cloud, topic: $aws/things/<deviceId>/shadow/update/<result> }
                    to: devices/<deviceId>/shadow/<result>
                """);

        assertThat(config.warnings()).singleElement().satisfies(w -> {
            assertThat(w.message()).isEqualTo("downstream routes 'shadow-delta' and 'shadow-responses' of sink 'cloud'"
                    + " both match cloud topic '$aws/things/<deviceId>/shadow/update/delta' and publish it to the same"
                    + " local topic 'devices/<deviceId>/shadow/delta': every such message reaches local subscribers"
                    + " twice; narrow one route's filter");
            assertThat(w.location().line()).isEqualTo(9);
        });
    }

    @Test
    void overlappingDownstreamRoutesToDifferentLocalTopics_areAWarningThatNamesBothTopics() throws ConfigException {
        BridgeConfig config = load("""
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://h"}
                routes:
                  - {name: up, from: sensors/#, sink: cloud, topic: x}
                  - {name: all, direction: downstream, from: {sink: cloud, topic: c/#}, to: devices/all}
                  - {name: one, direction: downstream, from: {sink: cloud, topic: c/<id>/cmd}, to: devices/<id>/cmd}
                """);

        assertThat(config.warnings()).singleElement().satisfies(w -> assertThat(w.message())
                .isEqualTo("downstream routes 'all' and 'one' of sink 'cloud' both match cloud topic 'c/<id>/cmd':"
                        + " every such message is published twice, to 'devices/all' and to 'devices/<id>/cmd' (narrow"
                        + " one route's filter unless both copies are wanted)"));
    }

    @Test
    void downstreamRoutesThatCannotMatchTheSameTopic_orOfDifferentSinks_giveNoWarning() throws ConfigException {
        BridgeConfig config = load("""
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://h"}
                  other: {type: mqtt, uri: "mqtt://h2"}
                routes:
                  - {name: up, from: sensors/#, sink: cloud, topic: x}
                  - {name: up2, from: sensors/#, sink: other, topic: x}
                  - {name: a, direction: downstream, from: {sink: cloud, topic: s/<id>/update/delta}, to: d/<id>/delta}
                  - {name: b, direction: downstream, from: {sink: cloud, topic: s/<id>/update/accepted}, to: d/<id>/ok}
                  - {name: c, direction: downstream, from: {sink: other, topic: s/<id>/update/delta}, to: d/<id>/delta}
                  - {name: d, direction: downstream, from: {sink: cloud, topic: s/<id>/get/+}, to: d/<id>/get}
                """);

        assertThat(config.warnings()).isEmpty();
    }
}
