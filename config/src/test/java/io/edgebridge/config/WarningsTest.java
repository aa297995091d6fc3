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
}
