package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.Target;
import io.edgebridge.config.UpstreamRoute;
import io.edgebridge.config.template.Template;
import io.edgebridge.core.internal.SinkFactories;
import io.edgebridge.core.testing.Configs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

class AzureIotHubConfigTest {

    private static final String SECRET_KEY = "c2VjcmV0LWtleS1kby1ub3QtbG9n";
    private static final String CS = "HostName=myhub.azure-devices.net;DeviceId=gateway-1;SharedAccessKey=" + SECRET_KEY;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String yaml(String sinkKeys, String routeExtra) {
        return """
                dataDir: %s
                sinks:
                  hub:
                    type: azure-iot-hub
                %s
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: hub
                    topic: telemetry
                %s
                """.formatted(dir.resolve("data"), sinkKeys.indent(4).stripTrailing(), routeExtra.stripTrailing());
    }

    @Test
    void theFactoryIsFoundOnTheClassPath() {
        assertThat(SinkFactories.load()).anyMatch(f -> f instanceof AzureIotHubSinkFactory);
    }

    @Test
    void connectionString_defaults() {
        SinkConfig sink = Configs.parse(yaml("connectionString: " + CS, "")).sinks().get("hub");
        AzureIotHubOptions o = sink.options(AzureIotHubOptions.class);
        assertThat(o.mode()).isEqualTo(AzureIotHubOptions.Mode.CONNECTION_STRING);
        assertThat(o.maxMessageSize()).isEqualTo(256 * 1024);
        assertThat(o.c2dTopic().text()).isEqualTo("c2d/<deviceId>");
        assertThat(o.c2dTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(o.sendTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(o.connectionString().orElseThrow().toString()).doesNotContain(SECRET_KEY);
    }

    @Test
    void targetsWithoutProperties_getDeviceIdSourceTopicAndTimestamp_writtenPropertiesReplaceThem() {
        BridgeConfig config = Configs.parse(yaml("connectionString: " + CS, """
                  - name: other
                    from: plant/<line>/status
                    sink: hub
                    topic: status
                    properties: { line: <line>, $.cid: <line> }
                    contentEncoding: utf-8
                    messageId: random
                """));
        Target telemetry = ((UpstreamRoute) config.routes().get(0)).targets().get(0);
        assertThat(telemetry.properties()).containsOnlyKeys("deviceId", "sourceTopic", "timestamp");
        assertThat(telemetry.properties().get("deviceId").placeholderNames()).containsExactly("deviceId");
        Target other = ((UpstreamRoute) config.routes().get(1)).targets().get(0);
        assertThat(other.properties()).containsOnlyKeys("line", "$.cid");
        assertThat(other.sinkOptions()).contains(new AzureTargetOptions(java.util.Optional.of("utf-8"),
                AzureIotHubSinkFactory.MessageIdMode.RANDOM));
        assertThat(new AzureIotHubSinkFactory().defaultTargetProperties(
                new io.edgebridge.config.TemplateScope("r", java.util.List.of("line"), false))).doesNotContainKey("deviceId");
    }

    @Test
    void badConnectionStrings_areReportedWithoutEchoingTheSecret() {
        assertThatThrownBy(() -> Configs.parse(yaml(
                "connectionString: HostName=myhub;DeviceId=d;SharedAccessKey=" + SECRET_KEY, "")))
                .hasMessageContaining("sinks.hub.connectionString").hasMessageContaining("full host name")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET_KEY));
        assertThatThrownBy(() -> Configs.parse(yaml(
                "connectionString: HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey="
                        + SECRET_KEY, "")))
                .hasMessageContaining("no DeviceId").satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET_KEY));
    }

    @Test
    void identities_exactlyOne_andEdgeModuleTakesNone() {
        assertThatThrownBy(() -> Configs.parse(yaml("maxMessageSize: 512KB", "")))
                .hasMessageContaining("exactly one identity").hasMessageContaining("sinks.hub.maxMessageSize");
        assertThatThrownBy(() -> Configs.parse(yaml("""
                mode: edge-module
                connectionString: %s
                """.formatted(CS), ""))).hasMessageContaining("not used with mode: edge-module");
        AzureIotHubOptions edge = Configs.parse(yaml("mode: edge-module\noutput: upstream", "")).sinks().get("hub")
                .options(AzureIotHubOptions.class);
        assertThat(edge.mode()).isEqualTo(AzureIotHubOptions.Mode.EDGE_MODULE);
        assertThat(edge.output()).isEqualTo("upstream");
        assertThatThrownBy(() -> Configs.parse(yaml("connectionString: " + CS + "\noutput: upstream", "")))
                .hasMessageContaining("only used with mode: edge-module");
    }

    @Test
    void x509_needsHostDeviceCertificateAndKey() {
        assertThatThrownBy(() -> Configs.parse(yaml("""
                x509: { hostName: myhub.azure-devices.net, certificate: %s }
                """.formatted(dir.resolve("missing.crt")), "")))
                .hasMessageContaining("deviceId").hasMessageContaining("missing.crt")
                .hasMessageContaining("'privateKey' is required");
    }

    @Test
    void c2dTopic_placeholdersMustFillWholeLevels() {
        assertThat(AzureIotHubSinkFactory.c2dTopicProblem(Template.parse("c2d/<deviceId>/<kind>"))).isEmpty();
        assertThat(AzureIotHubSinkFactory.c2dTopicProblem(Template.parse("c2d/dev-<deviceId>"))).isPresent();
        assertThat(AzureIotHubSinkFactory.c2dTopicProblem(Template.parse("c2d/#"))).isPresent();
    }

    @Test
    void c2dTopic_rendersFromApplicationProperties_andRefusesValuesThatAreNotOneLevel() {
        Template t = Template.parse("c2d/<deviceId>");
        String what = "application property";
        assertThat(CloudTopic.render(t, Map.of("deviceId", "dev7"), what)).isEqualTo(new CloudTopic.Routed("c2d/dev7"));
        assertThat(CloudTopic.render(t, Map.of("deviceId", "a/b"), what)).isInstanceOf(CloudTopic.Rejected.class);
        assertThat(CloudTopic.render(t, Map.of("deviceId", "#"), what)).isInstanceOf(CloudTopic.Rejected.class);
        assertThat(CloudTopic.render(t, Map.of("deviceId", "+"), what)).isInstanceOf(CloudTopic.Rejected.class);
        assertThat(CloudTopic.render(t, Map.of(), what)).isEqualTo(
                new CloudTopic.Rejected("the message has no application property 'deviceId'"));
    }

    @Test
    void methodsAndTwin_defaultsAndValues() {
        AzureIotHubOptions defaults = Configs.parse(yaml("connectionString: " + CS, "")).sinks().get("hub")
                .options(AzureIotHubOptions.class);
        assertThat(defaults.methodTopic().text()).isEqualTo("methods/<method>");
        assertThat(defaults.methodTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(defaults.twin()).isEqualTo(new AzureIotHubOptions.Twin(false, Duration.ofSeconds(60)));

        AzureIotHubOptions set = Configs.parse(yaml("""
                connectionString: %s
                methodTopic: rpc/<deviceId>/<method>
                methodTimeout: 5s
                twin: { routes: true, reportInterval: 0 }
                """.formatted(CS), "")).sinks().get("hub").options(AzureIotHubOptions.class);
        assertThat(set.methodTopic().text()).isEqualTo("rpc/<deviceId>/<method>");
        assertThat(set.methodTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(set.twin()).isEqualTo(new AzureIotHubOptions.Twin(true, Duration.ZERO));
    }

    @Test
    void methodsAndTwin_mistakesAreReportedWhereTheyAre() {
        assertThatThrownBy(() -> Configs.parse(yaml("connectionString: " + CS + "\nmethodTopic: rpc/dev-<method>", "")))
                .hasMessageContaining("sinks.hub.methodTopic").hasMessageContaining("whole topic level");
        assertThatThrownBy(() -> Configs.parse(yaml("connectionString: " + CS + "\nmethodTopic: rpc/#", "")))
                .hasMessageContaining("sinks.hub.methodTopic");
        assertThatThrownBy(() -> Configs.parse(yaml("connectionString: " + CS + "\nmethodTimeout: 10m", "")))
                .hasMessageContaining("sinks.hub.methodTimeout");
        assertThatThrownBy(() -> Configs.parse(yaml("connectionString: " + CS + "\ntwin: { route: true }", "")))
                .hasMessageContaining("unknown key 'route'");
        assertThatThrownBy(() -> Configs.parse(yaml("connectionString: " + CS + "\ntwin: { reportInterval: 1s }", "")))
                .hasMessageContaining("at least 5s");
    }

    @Test
    void methodValues_areTheTopLevelValuesOfAJsonObject() {
        assertThat(AzureMethods.topLevelValues("{\"deviceId\":\"d1\",\"n\":5,\"on\":true,\"nested\":{\"x\":1}}"))
                .containsExactly(Map.entry("deviceId", "d1"), Map.entry("n", "5"), Map.entry("on", "true"));
        assertThat(AzureMethods.topLevelValues("[1,2]")).isEmpty();
        assertThat(AzureMethods.topLevelValues("not json")).isEmpty();
        assertThat(AzureMethods.topLevelValues(null)).isEmpty();
        assertThat(AzureMethods.json("{\"a\":1}".getBytes()).isJsonObject()).isTrue();
        assertThat(AzureMethods.json("plain text".getBytes()).getAsString()).isEqualTo("plain text");
        assertThat(AzureMethods.json(new byte[0]).isJsonNull()).isTrue();
    }

    @Test
    void twinRoutes_integralNumbersStayIntegers() {
        var element = com.google.gson.JsonParser.parseString("{\"qos\":1.0,\"ratio\":0.5,\"$version\":3,\"a\":[2.0]}");
        assertThat(AzureTwin.normalized(element).toString()).isEqualTo("{\"qos\":1,\"ratio\":0.5,\"a\":[2]}");
    }

    @Test
    void jsonDetection() {
        assertThat(AzureMessages.isJson(" {\"a\":[1,2]}\n".getBytes())).isTrue();
        assertThat(AzureMessages.isJson("[1]".getBytes())).isTrue();
        assertThat(AzureMessages.isJson("{\"a\":1} trailing".getBytes())).isFalse();
        assertThat(AzureMessages.isJson("{\"a\":".getBytes())).isFalse();
        assertThat(AzureMessages.isJson("42".getBytes())).isFalse();
        assertThat(AzureMessages.isJson(new byte[0])).isFalse();
    }
}
