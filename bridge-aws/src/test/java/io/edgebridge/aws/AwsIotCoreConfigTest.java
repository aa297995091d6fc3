package io.edgebridge.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.RateLimit;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.Target;
import io.edgebridge.config.UpstreamRoute;
import io.edgebridge.core.internal.SinkFactories;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

class AwsIotCoreConfigTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private Path cert;
    private Path key;

    @BeforeEach
    void files() throws Exception {
        TestCertificates.Issued device = TestCertificates.newCa(dir.resolve("pki"), "ca").client("device");
        cert = device.certificate();
        key = device.privateKey();
    }

    private String yaml(String sinkExtra, String target) {
        return """
                dataDir: %s
                sinks:
                  aws:
                    type: aws-iot-core
                    endpoint: abc123-ats.iot.eu-west-1.amazonaws.com
                    certificate: %s
                    privateKey: %s
                %s
                routes:
                  - name: telemetry
                    from: devices/<deviceId>/telemetry
                    sink: aws
                    topic: %s
                """.formatted(dir.resolve("data"), cert, key, sinkExtra.indent(4).stripTrailing(), target);
    }

    private SinkConfig sink(BridgeConfig config) {
        return config.sinks().get("aws");
    }

    @Test
    void theFactoryIsFoundOnTheClassPath() {
        assertThat(SinkFactories.load()).anyMatch(f -> f instanceof AwsIotCoreSinkFactory);
    }

    @Test
    void defaults() {
        SinkConfig sink = sink(Configs.parse(yaml("", "dt/<deviceId>")));
        AwsIotCoreOptions o = sink.options(AwsIotCoreOptions.class);
        assertThat(o.port()).isEqualTo(8883);
        assertThat(o.clientId()).isEqualTo("edgebridge-aws");
        assertThat(o.keepAlive()).isEqualTo(Duration.ofSeconds(60));
        assertThat(o.sessionExpiry()).isEqualTo(Duration.ofDays(1));
        assertThat(o.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.operationTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.forwardRetain()).isFalse();
        assertThat(o.ca()).isEmpty();
        assertThat(o.certificate()).isEqualTo(cert);
    }

    @Test
    void withoutRateLimit_theSinkGetsIotCoresPerConnectionQuotaOf100PerSecond() {
        assertThat(sink(Configs.parse(yaml("", "dt/<deviceId>"))).rateLimit()).contains(RateLimit.messages(100));
    }

    @Test
    void aWrittenRateLimit_replacesTheDefault() {
        SinkConfig sink = sink(Configs.parse(yaml("rateLimit: { messages: 500 }", "dt/<deviceId>")));
        assertThat(sink.rateLimit().orElseThrow().messagesPerSecond()).isEqualTo(OptionalInt.of(500));
    }

    @Test
    void otherSinkTypes_stayUnlimitedByDefault() {
        BridgeConfig config = Configs.parse("""
                dataDir: %s
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - { name: r, from: a/<x>, sink: out, topic: a/<x> }
                """.formatted(dir.resolve("data"), dir.resolve("out.jsonl")));
        assertThat(config.sinks().get("out").rateLimit()).isEmpty();
    }

    @Test
    void targetKeys_messageExpiryIsParsed() {
        BridgeConfig config = Configs.parse(yaml("", "dt/<deviceId>\n    messageExpiry: 1h"));
        Target target = ((UpstreamRoute) config.routes().get(0)).targets().get(0);
        assertThat(target.sinkOptions()).contains(new AwsTargetOptions(Optional.of(Duration.ofHours(1))));
    }

    @Test
    void missingFilesAndEndpointProblems_areReportedWithTheirKeys() {
        String yaml = """
                dataDir: %s
                sinks:
                  aws:
                    type: aws-iot-core
                    endpoint: mqtts://abc.iot.amazonaws.com:8883
                    certificate: %s
                    port: 70000
                routes:
                  - { name: r, from: a/<x>, sink: aws, topic: a/<x> }
                """.formatted(dir.resolve("data"), dir.resolve("missing.crt"));
        assertThatThrownBy(() -> Configs.parse(yaml)).hasMessageContaining("sinks.aws.endpoint")
                .hasMessageContaining("host name only")
                .hasMessageContaining("missing.crt")
                .hasMessageContaining("'privateKey' is required")
                .hasMessageContaining("sinks.aws.port");
    }

    @Test
    void topicsIotCoreWouldRefuse_areRejectedAtConfigTime() {
        assertThatThrownBy(() -> Configs.parse(yaml("", "a/b/c/d/e/f/g/h/<deviceId>")))
                .hasMessageContaining("at least 9 levels").hasMessageContaining("at most 8");
        assertThatThrownBy(() -> Configs.parse(yaml("", "t/" + "x".repeat(260) + "/<deviceId>")))
                .hasMessageContaining("bytes").hasMessageContaining("256");
        assertThatThrownBy(() -> Configs.parse(yaml("", "$aws/events/<deviceId>")))
                .hasMessageContaining("reserves topics starting with '$'");
        assertThatThrownBy(() -> Configs.parse(yaml("", "$aws/things/<deviceId>/shadow/update/accepted")))
                .hasMessageContaining("reserves topics starting with '$'");
    }

    @Test
    void shadowJobsAndBasicIngestTopics_areAccepted() {
        Configs.parse(yaml("", "$aws/things/<deviceId>/shadow/update"));
        Configs.parse(yaml("", "$aws/things/<deviceId>/shadow/name/config/update"));
        Configs.parse(yaml("", "$aws/things/<deviceId>/jobs/job-1/update"));
        Configs.parse(yaml("", "$aws/rules/ingest/a/b/c/d/e/f/g/<deviceId>"));
    }

    @Test
    void renderedTopics_areCheckedAgainstTheSameLimits() {
        assertThat(AwsTopics.problem("dt/dev1/telemetry")).isEmpty();
        assertThat(AwsTopics.problem("$aws/things/dev1/shadow/update")).isEmpty();
        assertThat(AwsTopics.problem("$aws/things/dev1/jobs/start-next")).isEmpty();
        assertThat(AwsTopics.problem("a/b/c/d/e/f/g/h/i")).hasValueSatisfying(p -> assertThat(p).contains("9 levels"));
        assertThat(AwsTopics.problem("$aws/things/dev1/shadow/update/delta")).isPresent();
        assertThat(AwsTopics.problem("$SYS/x")).isPresent();
        assertThat(AwsTopics.problem("x".repeat(257))).hasValueSatisfying(p -> assertThat(p).contains("257 bytes"));
        assertThat(AwsTopics.problem("a/+/b")).isPresent();
    }
}
