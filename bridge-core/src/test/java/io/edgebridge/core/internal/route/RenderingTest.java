package io.edgebridge.core.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgebridge.config.BridgeConfig;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.testing.Configs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RenderingTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static RouteTable table(String routesYaml) {
        BridgeConfig config = Configs.parse("""
                sinks:
                  out: { type: file, path: out.jsonl }
                """ + routesYaml);
        return RouteTable.compile(config, new BridgeMetrics(new SimpleMeterRegistry()));
    }

    private static OutboundMessage renderOne(RouteTable table, String topic, String payload) {
        List<SinkRoutes.Match> matches = table.upstreamFor("out").match(topic);
        assertThat(matches).hasSize(1);
        SinkRoutes.Match m = matches.get(0);
        RenderContext ctx = new RenderContext(topic, m.bindings(), m.route().name(), "out", 1_700_000_000_123L,
                payload.getBytes(StandardCharsets.UTF_8));
        return m.targets().get(0).render(ctx, 42);
    }

    /** A sink type's own target templates (e.g. a Pub/Sub ordering key) are rendered with the topic. */
    record OrderingOptions(java.util.Map<String, io.edgebridge.config.template.Template> templates)
            implements io.edgebridge.config.TargetTemplates {
    }

    @Test
    void targetTemplatesOfTheSinkType_areRenderedPerMessage_otherTargetsRenderNone() {
        var options = new OrderingOptions(java.util.Map.of("orderingKey",
                io.edgebridge.config.template.Template.parse("<deviceId>-<metric>")));
        var target = new io.edgebridge.config.Target("out", io.edgebridge.config.template.Template.parse("t"), 1,
                false, io.edgebridge.config.Payload.RAW, java.util.Map.of(), java.util.Optional.empty(),
                java.util.Optional.of(options), null);
        var meters = TargetMeters.of(new BridgeMetrics(new SimpleMeterRegistry()),
                io.edgebridge.config.Direction.UPSTREAM, "r", "out");
        CompiledTarget compiled = new CompiledTarget("r", target, List.of("deviceId", "metric"), meters);
        RenderContext ctx = new RenderContext("sensors/d7/temp", new String[] {"d7", "temp"}, "r", "out", 1L,
                new byte[0]);

        assertThat(compiled.render(ctx, 1).rendered()).containsExactly(java.util.Map.entry("orderingKey", "d7-temp"));
        RouteTable plain = table("""
                routes:
                  - name: r
                    from: sensors/<deviceId>/<metric>
                    sink: out
                    topic: t
                """);
        assertThat(renderOne(plain, "sensors/d7/temp", "p").rendered()).isEmpty();
    }

    @ParameterizedTest(name = "{0} via {1} -> {3}")
    @CsvSource(delimiter = '|', value = {
            "sensors/<deviceId>/<metric> | cloud/<deviceId>/<metric>    | sensors/dev1/temp     | cloud/dev1/temp",
            "sensors/+/<metric>          | m/<metric>/<route>/<sink>    | sensors/dev1/temp     | m/temp/r/out",
            "a/#                         | b/<#>                        | a/x/y/z               | b/x/y/z",
            "a/#                         | b/<#>/end                    | a                     | b//end",
            "a/<x>/#                     | <x>-<timestamp>              | a/q/r                 | q-1700000000123",
            "a/<x>                       | whole/<topic>                | a/q                   | whole/a/q",
            "a/<x>                       | lit<<x>                      | a/q                   | lit<x>",
    })
    void topicTemplates_renderBindingsAndBuiltIns(String from, String topic, String source, String expected) {
        RouteTable table = table("""
                routes:
                  - name: r
                    from: '%s'
                    sink: out
                    topic: '%s'
                """.formatted(from, topic));
        assertThat(renderOne(table, source, "p").topic()).isEqualTo(expected);
    }

    @Test
    void rawPayload_isPassedThroughUntouched_andPropertiesAreRendered() {
        RouteTable table = table("""
                routes:
                  - name: r
                    from: sensors/<deviceId>/<metric>
                    sink: out
                    topic: t/<deviceId>
                    properties: { device: <deviceId>, source: <topic>, fixed: yes-really }
                    contentType: text/<metric>
                """);
        OutboundMessage m = renderOne(table, "sensors/d7/temp", "21.5");
        assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("21.5");
        assertThat(m.properties()).containsExactly(
                java.util.Map.entry("device", "d7"), java.util.Map.entry("source", "sensors/d7/temp"),
                java.util.Map.entry("fixed", "yes-really"));
        assertThat(m.contentType()).hasValue("text/temp");
        assertThat(m.sequence()).isEqualTo(42);
        assertThat(m.qos()).isEqualTo(1);
    }

    @Test
    void envelope_embedsJsonPayloads_andBase64sTheRest() throws Exception {
        RouteTable table = table("""
                routes:
                  - name: r
                    from: sensors/<deviceId>/<metric>
                    sink: out
                    topic: t
                    payload: envelope
                """);
        JsonNode json = JSON.readTree(renderOne(table, "sensors/d1/temp", "{\"v\": 21.5}").payload());
        assertThat(json.get("deviceId").asText()).isEqualTo("d1");
        assertThat(json.get("topic").asText()).isEqualTo("sensors/d1/temp");
        assertThat(json.get("timestamp").asLong()).isEqualTo(1_700_000_000_123L);
        assertThat(json.get("data").get("v").asDouble()).isEqualTo(21.5);

        JsonNode number = JSON.readTree(renderOne(table, "sensors/d1/temp", "21.5").payload());
        assertThat(number.get("data").asDouble()).isEqualTo(21.5);

        JsonNode text = JSON.readTree(renderOne(table, "sensors/d1/temp", "not json {").payload());
        assertThat(text.has("data")).isFalse();
        assertThat(new String(Base64.getDecoder().decode(text.get("dataBase64").asText()), StandardCharsets.UTF_8))
                .isEqualTo("not json {");
    }

    @Test
    void envelope_withoutADeviceIdBinding_leavesItOut() throws Exception {
        RouteTable table = table("""
                routes:
                  - name: r
                    from: plant/<line>
                    sink: out
                    topic: t
                    payload: envelope
                """);
        JsonNode json = JSON.readTree(renderOne(table, "plant/l1", "1").payload());
        assertThat(json.has("deviceId")).isFalse();
        assertThat(json.get("topic").asText()).isEqualTo("plant/l1");
    }

    @Test
    void payloadTemplate_insertsPayloadRaw_andEscapesTopicValuesForJson() throws Exception {
        RouteTable table = table("""
                routes:
                  - name: r
                    from: things/<deviceId>/state
                    sink: out
                    topic: shadow/<deviceId>
                    payload: template
                    template: '{"state":{"reported":<payload>},"device":"<deviceId>","at":<timestamp>}'
                """);
        OutboundMessage m = renderOne(table, "things/we\"ird/state", "{\"on\":true}");
        JsonNode json = JSON.readTree(m.payload());
        assertThat(json.get("state").get("reported").get("on").asBoolean()).isTrue();
        assertThat(json.get("device").asText()).isEqualTo("we\"ird");
        assertThat(json.get("at").asLong()).isEqualTo(1_700_000_000_123L);
    }

    @Test
    void oneTopic_fansOutToEveryMatchingRouteAndTarget() {
        RouteTable table = table("""
                routes:
                  - name: all
                    from: sensors/#
                    to:
                      - { sink: out, topic: a/<#> }
                      - { sink: out, topic: b/<#> }
                  - name: temp
                    from: sensors/<deviceId>/temp
                    sink: out
                    topic: c/<deviceId>
                """);
        List<SinkRoutes.Match> matches = table.upstreamFor("out").match("sensors/d1/temp");
        assertThat(matches).extracting(m -> m.route().name()).containsExactly("all", "temp");
        assertThat(matches.get(0).targets()).hasSize(2);
        assertThat(table.acceptUpstream("sensors/d1/temp")).hasSize(2);
        assertThat(table.acceptUpstream("other/x")).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "a/#,a/b/+,a/+/c           | a/#",
            "a/+/c,a/b/+               | a/+/c,a/b/+",
            "a/b,a/b                   | a/b",
            "+/+,a/b,#                 | #",
            "a/+,a                     | a/+,a",
            "a/#,a                     | a/#",
    })
    void intakeSubscriptions_dropFiltersAnotherAlreadyCovers(String filters, String expected) {
        assertThat(RouteTable.minimalCover(List.of(filters.split(",")))).containsExactly(expected.split(","));
    }
}
