package io.edgebridge.core.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.testing.Configs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CompiledDownstreamRouteTest {

    private final CompiledDownstreamRoute route = compile();

    private static CompiledDownstreamRoute compile() {
        BridgeConfig config = Configs.parse("""
                sinks:
                  cloud: { type: mqtt, uri: mqtt://127.0.0.1:1883 }
                routes:
                  - name: commands
                    direction: downstream
                    from: { sink: cloud, topic: cmd/<deviceId>/# }
                    to: { topic: '<deviceId>/commands', properties: { rest: <#> } }
                """);
        return RouteTable.compile(config, new BridgeMetrics(new SimpleMeterRegistry())).downstreamFor("cloud").get(0);
    }

    private Optional<CompiledDownstreamRoute.Result> render(String cloudTopic) {
        return route.render(cloudTopic, Topics.levels(cloudTopic), "x".getBytes(StandardCharsets.UTF_8), 1);
    }

    @Test
    void validValues_renderTheLocalPublish() {
        var result = render("cmd/dev-7/reboot/now");
        assertThat(result).containsInstanceOf(CompiledDownstreamRoute.Publish.class);
        var publish = (CompiledDownstreamRoute.Publish) result.get();
        assertThat(publish.topic()).isEqualTo("dev-7/commands");
        assertThat(publish.properties()).containsEntry("rest", "reboot/now");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cmd//x", "cmd/$SYS/x", "cmd/a\u0001b/x"})
    void valuesThatAreNotASafeLevel_areRejected(String cloudTopic) {
        assertThat(render(cloudTopic)).containsInstanceOf(CompiledDownstreamRoute.Rejected.class);
    }

    @Test
    void overlongValues_areRejected() {
        assertThat(render("cmd/" + "x".repeat(300) + "/y")).containsInstanceOf(CompiledDownstreamRoute.Rejected.class);
    }

    @Test
    void otherTopics_doNotMatch() {
        assertThat(render("other/dev/x")).isEmpty();
    }
}
