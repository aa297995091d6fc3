package io.edgebridge.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.Target;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.UpstreamRoute;
import io.edgebridge.config.template.Template;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.internal.SinkFactories;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.gcp.GcpPubSubOptions.Cloud;
import io.edgebridge.gcp.GcpPubSubOptions.Emulator;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GcpPubSubConfigTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String yaml(String sinkKeys, String routeExtra) {
        return """
                dataDir: %s
                sinks:
                  pubsub:
                    type: gcp-pubsub
                %s
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: pubsub
                    topic: telemetry
                %s
                """.formatted(dir.resolve("data"), sinkKeys.indent(4).stripTrailing(), routeExtra.stripTrailing());
    }

    private GcpPubSubOptions options(String sinkKeys) {
        return Configs.parse(yaml(sinkKeys, "")).sinks().get("pubsub").options(GcpPubSubOptions.class);
    }

    @Test
    void theFactoryIsFoundOnTheClassPath() {
        assertThat(SinkFactories.load()).anyMatch(f -> f instanceof GcpPubSubSinkFactory);
    }

    @Test
    void defaults_applicationDefaultCredentialsAtTheGoogleEndpoint() {
        GcpPubSubOptions o = options("project: my-project");
        assertThat(o.project()).isEqualTo("my-project");
        assertThat(o.connection()).isEqualTo(new Cloud("pubsub.googleapis.com:443", Optional.empty(), Optional.empty()));
        assertThat(o.batching()).isEqualTo(new GcpPubSubOptions.Batching(100, 1024 * 1024, Duration.ofMillis(10)));
        assertThat(o.flowControl()).isEqualTo(new GcpPubSubOptions.FlowControl(1000, 64L * 1024 * 1024));
        assertThat(o.downstream()).isEmpty();
    }

    @Test
    void everyOption() throws Exception {
        GcpPubSubOptions o = options("""
                project: my-project
                emulatorHost: localhost:8085
                batching: { messages: 500, bytes: 2MB, delay: 50ms }
                flowControl: { messages: 5000, bytes: 128MB }
                downstream:
                  subscription: edge-commands
                  topic: cmd/<deviceId>/<command>
                  flowControl: { messages: 10, bytes: 1MB }
                  timeout: 30s
                """);
        assertThat(o.connection()).isEqualTo(new Emulator("localhost:8085"));
        assertThat(o.batching()).isEqualTo(new GcpPubSubOptions.Batching(500, 2 * 1024 * 1024, Duration.ofMillis(50)));
        assertThat(o.flowControl()).isEqualTo(new GcpPubSubOptions.FlowControl(5000, 128L * 1024 * 1024));
        GcpPubSubOptions.Downstream d = o.downstream().orElseThrow();
        assertThat(d.subscription()).isEqualTo("edge-commands");
        assertThat(d.topic().text()).isEqualTo("cmd/<deviceId>/<command>");
        assertThat(d.flowControl()).isEqualTo(new GcpPubSubOptions.FlowControl(10, 1024 * 1024));
        assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(options("project: p-roject\ndownstream: { subscription: s-1 }").downstream().orElseThrow().topic()
                .text()).isEqualTo("commands/<deviceId>");

        Path key = GcpPubSubCredentialsTest.serviceAccountKey(dir.resolve("sa.json"),
                KeyPairGenerator.getInstance("RSA").generateKeyPair());
        Path ca = TestCertificates.newCa(dir.resolve("pki"), "ca").caCertificate();
        GcpPubSubOptions cloud = options("""
                project: my-project
                endpoint: europe-west1-pubsub.googleapis.com:443
                credentialsFile: %s
                ca: %s
                """.formatted(key, ca));
        assertThat(cloud.connection()).isEqualTo(new Cloud("europe-west1-pubsub.googleapis.com:443", Optional.of(key),
                Optional.of(ca)));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
            "''                                                  | 'project' | sinks.pubsub",
            "project: My_Project                                 | Google Cloud project id | sinks.pubsub.project",
            "'project: my-project\nemulatorHost: localhost'      | host:port | sinks.pubsub.emulatorHost",
            "'project: my-project\nemulatorHost: h:70000'        | 1..65535 | sinks.pubsub.emulatorHost",
            "'project: my-project\nemulatorHost: h:1\nendpoint: e:443' | not used with 'emulatorHost' | sinks.pubsub.endpoint",
            "'project: my-project\nendpoint: https://x/y'        | host:port | sinks.pubsub.endpoint",
            "'project: my-project\ncredentialsFile: /no/such.json' | /no/such.json | sinks.pubsub.credentialsFile",
            "'project: my-project\nbatching: { messages: 1001 }' | messages | sinks.pubsub.batching.messages",
            "'project: my-project\nbatching: { bytes: 20MB }'    | bytes | sinks.pubsub.batching.bytes",
            "'project: my-project\nbatching: { delay: 0 }'       | delay | sinks.pubsub.batching.delay",
            "'project: my-project\nbatching: { count: 5 }'       | count | sinks.pubsub.batching",
            "'project: my-project\nflowControl: { messages: 0 }' | messages | sinks.pubsub.flowControl.messages",
            "'project: my-project\ndownstream: { topic: x }'     | subscription | sinks.pubsub.downstream",
            "'project: my-project\ndownstream: { subscription: goog-x }' | must not start with 'goog' | sinks.pubsub.downstream.subscription",
            "'project: my-project\ndownstream: { subscription: s-1, topic: c/dev-<deviceId> }' | whole topic level | sinks.pubsub.downstream.topic",
            "'project: my-project\ndownstream: { subscription: s-1, topic: c/# }' | topic | sinks.pubsub.downstream.topic",
            "'project: my-project\nprojectId: x'                 | projectId | sinks.pubsub.projectId",
    })
    void problems_nameTheKeyAndWhatIsExpected(String sinkKeys, String message, String key) {
        assertThatThrownBy(() -> Configs.parse(yaml(sinkKeys, ""))).hasMessageContaining(key)
                .hasMessageContaining(message).hasMessageMatching("(?s).*<config>:\\d+:\\d+: " + java.util.regex.Pattern.quote(key) + ".*");
    }

    @Test
    void aFileThatIsNotAServiceAccountKey_isReportedWithoutEchoingIt() throws Exception {
        Path bogus = Files.writeString(dir.resolve("bogus.json"), "{\"type\":\"authorized_user\",\"secret\":\"s3cr3t-value\"}");
        assertThatThrownBy(() -> Configs.parse(yaml("project: my-project\ncredentialsFile: " + bogus, "")))
                .hasMessageContaining("sinks.pubsub.credentialsFile").hasMessageContaining("not a service-account key")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t-value"));
    }

    @Test
    void targets_attributesDefaultToDeviceIdAndSourceTopic_orderingKeyIsATemplate() {
        BridgeConfig config = Configs.parse(yaml("project: my-project", """
                    orderingKey: <deviceId>
                  - name: other
                    from: plant/<line>/status
                    sink: pubsub
                    topic: projects/other-project/topics/status-<line>
                    properties: { line: <line> }
                """));
        Target telemetry = ((UpstreamRoute) config.routes().get(0)).targets().get(0);
        assertThat(telemetry.properties()).containsOnlyKeys("deviceId", "sourceTopic");
        assertThat(telemetry.sinkOptions()).contains(new GcpTargetOptions(Optional.of(Template.parse("<deviceId>"))));
        Target other = ((UpstreamRoute) config.routes().get(1)).targets().get(0);
        assertThat(other.properties()).containsOnlyKeys("line");
        assertThat(other.sinkOptions()).isEmpty();
        assertThat(new GcpPubSubSinkFactory().defaultTargetProperties(new TemplateScope("r", List.of("line"), false)))
                .containsOnlyKeys("sourceTopic");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "goog-topic                     | must not start with 'goog'",
            "ab                             | 3 to 255",
            "1telemetry                     | starting with a letter",
            "a/b                            | topic id 'a/b' is invalid",
            "projects/p/subscriptions/abc   | not a topic id or a full name",
            "tele<deviceId>/x               | cannot be part of one",
    })
    void targetTopics_thatCanNeverBeTopicIds_areRejectedAtLoad(String topic, String message) {
        assertThatThrownBy(() -> Configs.parse(yaml("project: my-project", "").replace("topic: telemetry",
                "topic: '" + topic + "'"))).hasMessageContaining("routes[0]").hasMessageContaining(message);
    }

    @Test
    void orderingKey_mustUseBoundNames() {
        assertThatThrownBy(() -> Configs.parse(yaml("project: my-project", "    orderingKey: <device>")))
                .hasMessageContaining("orderingKey").hasMessageContaining("device");
    }

    private static OutboundMessage message(String topic, Map<String, String> attributes, String orderingKey,
            int payloadBytes) {
        return new OutboundMessage("r", topic, new byte[payloadBytes], 1, false, attributes, Optional.empty(),
                Optional.empty(), "devices/d/telemetry", 0, 7, orderingKey == null ? Map.of()
                        : Map.of(GcpTargetOptions.ORDERING_KEY, orderingKey));
    }

    @Test
    void messages_withinPubSubsLimitsAreBuilt_othersRefusedWithTheReason() {
        var ready = (PubSubMessages.Ready) PubSubMessages.build("my-project",
                message("telemetry", Map.of("deviceId", "d1"), "d1", 10));
        assertThat(ready.topic()).isEqualTo("projects/my-project/topics/telemetry");
        assertThat(ready.orderingKey()).isEqualTo("d1");
        assertThat(ready.message().getAttributesMap()).containsOnly(Map.entry("deviceId", "d1"));
        assertThat(((PubSubMessages.Ready) PubSubMessages.build("my-project",
                message("projects/other-proj/topics/t-1", Map.of(), null, 10))).topic())
                .isEqualTo("projects/other-proj/topics/t-1");
        assertThat(((PubSubMessages.Ready) PubSubMessages.build("my-project",
                message("telemetry", Map.of(), null, 9_999_000))).message().getOrderingKey()).isEmpty();

        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 101; i++) {
            many.put("a" + i, "v");
        }
        assertThat(refusal(message("telemetry", many, null, 1))).contains("101 attributes");
        assertThat(refusal(message("telemetry", Map.of("k".repeat(257), "v"), null, 1))).contains("1 to 256 bytes");
        assertThat(refusal(message("telemetry", Map.of("googKey", "v"), null, 1))).contains("reserved");
        assertThat(refusal(message("telemetry", Map.of("k", "é".repeat(513)), null, 1))).contains("1026 bytes");
        assertThat(refusal(message("telemetry", Map.of(), "k".repeat(1025), 1))).contains("ordering key of 1025");
        assertThat(refusal(message("telemetry", Map.of(), null, 10_000_000))).contains("exceeds Pub/Sub's limit");
        assertThat(refusal(message("bad topic", Map.of(), null, 1))).contains("topic id 'bad topic' is invalid");
    }

    private static String refusal(OutboundMessage m) {
        return ((PubSubMessages.Refused) PubSubMessages.build("my-project", m)).reason();
    }

    @Test
    void downstreamTopic_rendersFromAttributes_andRefusesValuesThatAreNotOneLevel() {
        Template t = Template.parse("commands/<deviceId>");
        assertThat(CloudTopic.render(t, Map.of("deviceId", "dev7"), "attribute"))
                .isEqualTo(new CloudTopic.Routed("commands/dev7"));
        for (String bad : new String[] {"a/b", "#", "+", "", "nul\0"}) {
            assertThat(CloudTopic.render(t, Map.of("deviceId", bad), "attribute"))
                    .isInstanceOf(CloudTopic.Rejected.class);
        }
        assertThat(CloudTopic.render(t, Map.of(), "attribute")).isEqualTo(
                new CloudTopic.Rejected("the message has no attribute 'deviceId'"));
    }

    @Test
    void publishFailures_areClassified() {
        var notFound = com.google.api.gax.rpc.ApiExceptionFactory.createException(
                new RuntimeException("x"), com.google.api.gax.grpc.GrpcStatusCode.of(io.grpc.Status.Code.NOT_FOUND),
                false);
        assertThat(TopicPublishers.classify(notFound, "projects/p/topics/t", true).disposition())
                .isEqualTo(io.edgebridge.core.api.DeliveryException.Disposition.RETRY);
        assertThat(TopicPublishers.classify(notFound, "projects/p/topics/t", true).reason())
                .contains("does not exist");
        var invalid = com.google.api.gax.rpc.ApiExceptionFactory.createException(new RuntimeException("x"),
                com.google.api.gax.grpc.GrpcStatusCode.of(io.grpc.Status.Code.INVALID_ARGUMENT), false);
        assertThat(TopicPublishers.classify(invalid, "t", true).disposition())
                .isEqualTo(io.edgebridge.core.api.DeliveryException.Disposition.PERMANENT);
        assertThat(TopicPublishers.classify(invalid, "t", false).disposition())
                .isEqualTo(io.edgebridge.core.api.DeliveryException.Disposition.REJECTED);
        var denied = com.google.api.gax.rpc.ApiExceptionFactory.createException(new RuntimeException("x"),
                com.google.api.gax.grpc.GrpcStatusCode.of(io.grpc.Status.Code.PERMISSION_DENIED), false);
        assertThat(TopicPublishers.classify(denied, "t", false).reason()).contains("roles/pubsub.publisher");
        assertThat(TopicPublishers.classify(new java.util.concurrent.CancellationException(), "t", true)
                .disposition()).isEqualTo(io.edgebridge.core.api.DeliveryException.Disposition.RETRY);
        assertThat(new String(new byte[0], StandardCharsets.UTF_8)).isEmpty();
    }
}
