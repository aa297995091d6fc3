package io.edgebridge.config;

import static io.edgebridge.config.Yamls.rejected;
import static io.edgebridge.config.Yamls.withDefaults;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code local.sharedGroup}: scale-out replicas that split one external broker's messages. */
class SharedGroupConfigTest {

    private static final ConfigLoader ON_HOST_GW7 = TestSinkTypes.loader(Map.of("HOSTNAME", "gw7.plant.example"));

    private static BridgeConfig load(String yaml) throws ConfigException {
        return ON_HOST_GW7.parse(withDefaults(yaml), "test");
    }

    @Test
    void aSharedGroupIsReadAndDefaultClientIdsCarryTheHostName() throws ConfigException {
        BridgeConfig config = load("""
                local:
                  broker: mqtt://mosquitto:1883
                  sharedGroup: edge-bridges
                """);

        assertThat(config.local().sharedGroup()).contains("edge-bridges");
        assertThat(config.local().broker()).isInstanceOfSatisfying(ExternalBrokerConfig.class,
                b -> assertThat(b.sharedGroup()).contains("edge-bridges"));
        assertThat(config.local().endpoint().clientId()).isEqualTo("edgebridge-gw7.plant.example");
        MqttEndpointConfig cloud = config.sinks().get("cloud").options(MqttEndpointConfig.class);
        assertThat(cloud.clientId()).isEqualTo("edgebridge-cloud-gw7.plant.example");
    }

    @Test
    void writtenClientIdsAreKeptAsTheyAre() throws ConfigException {
        BridgeConfig config = ON_HOST_GW7.parse("""
                local:
                  broker: mqtt://mosquitto:1883
                  sharedGroup: edge-bridges
                  clientId: bridge-${REPLICA}
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://cloud", clientId: "gw-${REPLICA}"}
                routes:
                  - {name: t, from: a, sink: cloud, topic: b}
                """.replace("${REPLICA}", "2"), "test");

        assertThat(config.local().endpoint().clientId()).isEqualTo("bridge-2");
        assertThat(config.sinks().get("cloud").options(MqttEndpointConfig.class).clientId()).isEqualTo("gw-2");
    }

    @Test
    void withoutASharedGroupDefaultsStayAsTheyWere() throws ConfigException {
        BridgeConfig config = load("local:\n  broker: mqtt://mosquitto:1883\n");

        assertThat(config.local().sharedGroup()).isEmpty();
        assertThat(config.local().endpoint().clientId()).isEqualTo("edgebridge");
        assertThat(config.sinks().get("cloud").options(MqttEndpointConfig.class).clientId()).isEqualTo("edgebridge-cloud");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "gw 7/a#b     | gw-7-a-b",
            "ÄÖ-node_1.x  | ---node_1.x",
    })
    void theHostNameIsReducedToCharactersEveryBrokerAccepts(String host, String expected) throws ConfigException {
        BridgeConfig config = TestSinkTypes.loader(Map.of("HOSTNAME", host))
                .parse(withDefaults("local:\n  broker: mqtt://m\n  sharedGroup: g\n"), "test");

        assertThat(config.local().endpoint().clientId()).isEqualTo("edgebridge-" + expected);
    }

    @Test
    void aLongHostNameIsCutTo64Characters() throws ConfigException {
        BridgeConfig config = TestSinkTypes.loader(Map.of("HOSTNAME", "h".repeat(100)))
                .parse(withDefaults("local:\n  broker: mqtt://m\n  sharedGroup: g\n"), "test");

        assertThat(config.local().endpoint().clientId()).isEqualTo("edgebridge-" + "h".repeat(64));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/b", "a+", "'#'", "x12345678901234567890123456789012345678901234567890123456789012345",
        "''", "\"tab\\there\""})
    void anInvalidShareNameIsRefusedWhereItIsWritten(String name) {
        ConfigException e = rejected(ON_HOST_GW7,
                withDefaults("local:\n  broker: mqtt://m\n  sharedGroup: " + name + "\n"));

        assertThat(e.problems()).as(e.getMessage()).singleElement().satisfies(p -> {
            assertThat(p.location().line()).isEqualTo(3);
            assertThat(p.location().keyPath()).isEqualTo("local.sharedGroup");
            assertThat(p.message()).containsAnyOf("one topic level", "at most 64 characters", "not an empty value");
        });
    }

    @Test
    void aSlashInTheNameSaysWhyItIsRefused() {
        ConfigException e = rejected(ON_HOST_GW7, withDefaults("local:\n  broker: mqtt://m\n  sharedGroup: a/b\n"));

        assertThat(e.getMessage()).contains("<config>:3:16: local.sharedGroup: a share name is one topic level: no '/',"
                + " '+', '#' or control characters; got 'a/b'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  embedded:\n    intake: mqtt\n", "  embedded:\n    intake: extension\n"})
    void theEmbeddedBrokerRefusesASharedGroup(String embedded) {
        ConfigException e = rejected(ON_HOST_GW7,
                withDefaults("local:\n  broker: embedded\n  sharedGroup: g\n" + embedded));

        assertThat(e.problems()).as(e.getMessage()).singleElement().satisfies(p -> {
            assertThat(p.location().line()).isEqualTo(3);
            assertThat(p.message()).isEqualTo("sharedGroup applies to an external broker (local.broker: mqtt://...):"
                    + " replicas each running an embedded broker share nothing");
        });
    }

    @Test
    void downstreamRoutesWarnThatEveryReplicaReceivesEachCloudMessage() throws ConfigException {
        BridgeConfig config = load("""
                local: {broker: "mqtt://m", sharedGroup: g}
                sinks:
                  cloud: {type: mqtt, uri: "mqtt://h"}
                routes:
                  - {name: up, from: a, sink: cloud, topic: b}
                  - {name: commands, direction: downstream, from: {sink: cloud, topic: c/<id>}, to: d/<id>}
                """);

        assertThat(config.warnings()).singleElement().satisfies(w -> {
            assertThat(w.location().line()).isEqualTo(6);
            assertThat(w.message()).isEqualTo("downstream route 'commands' with local.sharedGroup: every replica"
                    + " subscribes to sink 'cloud', so each cloud message reaches the local broker once per replica");
        });
    }
}
