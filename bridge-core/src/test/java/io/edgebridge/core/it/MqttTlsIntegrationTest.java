package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.BridgeProcess;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The MQTT client code (sink and external local broker) against Mosquitto's TLS listener that requires
 * a client certificate from the test CA and a password.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MqttTlsIntegrationTest {

    private static final String USER = "gw-01";
    private static final String PASSWORD = "s3cret-Pw-7781";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private TestCertificates pki;
    private TestCertificates.Issued client;

    @BeforeEach
    void certificates() {
        pki = TestCertificates.newCa(dir.resolve("pki"), "test-ca");
        client = pki.client("bridge");
    }

    private Mosquitto secureCloud() {
        TestCertificates.Issued server = pki.server("broker");
        return new Mosquitto(dir.resolve("cloud"))
                .withSecureListener(pki.caCertificate(), server.certificate(), server.privateKey(), USER, PASSWORD)
                .start();
    }

    private String sinkYaml(Mosquitto cloud, String protocol, String password, TestCertificates.Issued cert) {
        return """
                dataDir: %s
                stats: { logInterval: 1s }
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtts://127.0.0.1:%d
                    protocol: '%s'
                    username: %s
                    password: '%s'
                    reconnect: { min: 200ms, max: 1s }
                    tls:
                      ca: %s
                      certificate: %s
                      privateKey: %s
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/telemetry
                    sink: cloud
                    topic: cloud/<deviceId>
                """.formatted(dir.resolve("data"), cloud.securePort(), protocol, USER, password, pki.caCertificate(),
                cert.certificate(), cert.privateKey());
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "3.1.1"})
    void mutualTlsWithPassword_deliversEveryMessage(String protocol) throws Exception {
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloud = secureCloud();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"),
                        local.yaml() + sinkYaml(cloud, protocol, PASSWORD, client));
                var devices = new Publisher(local.port(), 50)) {
            for (int i = 0; i < 200; i++) {
                devices.publish("sensors/d" + (i % 10) + "/telemetry", "tls-" + i);
            }
            devices.drain(30, TimeUnit.SECONDS);
            recorder.awaitDistinct(200, Duration.ofSeconds(60));
            assertThat(recorder.topicOf("tls-7")).isEqualTo("cloud/d7");
            assertThat(bridge.bridge().sinksConnected()).isTrue();
        }
    }

    @Test
    void aWrongPassword_isRefused_keepsMessages_andNeverAppearsInTheLog() throws Exception {
        String wrong = "not-the-Password-4242";
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir); var cloud = secureCloud()) {
            Path config = dir.resolve("edgebridge.yaml");
            Files.writeString(config, local.yaml() + sinkYaml(cloud, "5", wrong, client));
            Path log = dir.resolve("bridge.log");
            try (var bridge = new BridgeProcess(config, log).start().awaitStarted(Duration.ofSeconds(60));
                    var devices = new Publisher(local.port(), 10)) {
                for (int i = 0; i < 20; i++) {
                    devices.publish("sensors/d1/telemetry", "kept-" + i);
                }
                devices.drain(30, TimeUnit.SECONDS);
                assertThat(devices.acked()).isEqualTo(20);
                await().atMost(Duration.ofSeconds(30)).until(() -> bridge.logText().contains("NOT_AUTHORIZED")
                        || bridge.logText().contains("BAD_USER_NAME_OR_PASSWORD"));
                await().atMost(Duration.ofSeconds(10)).until(() -> bridge.logText().contains("spool entries=20"));
                assertThat(bridge.logText()).contains("DISCONNECTED").doesNotContain(wrong).doesNotContain(PASSWORD);
            }
        }
    }

    @Test
    void aClientCertificateFromAnotherCa_isRefused_andMessagesWait() throws Exception {
        TestCertificates.Issued stranger = TestCertificates.newCa(dir.resolve("other-pki"), "other-ca").client("stranger");
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloud = secureCloud();
                var bridge = TestBridge.start(dir.resolve("bridge"),
                        local.yaml() + sinkYaml(cloud, "5", PASSWORD, stranger));
                var devices = new Publisher(local.port(), 10)) {
            for (int i = 0; i < 20; i++) {
                devices.publish("sensors/d1/telemetry", "wait-" + i);
            }
            devices.drain(30, TimeUnit.SECONDS);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> !bridge.bridge().sinksConnected());
            assertThat(bridge.bridge().spool().entryCount()).isEqualTo(20);
            assertThat(bridge.count("edgebridge.messages.forwarded")).isZero();
        }
    }

    @Test
    void anExternalLocalBrokerOverMutualTls_feedsTheBridge() throws Exception {
        try (var localBroker = secureCloud();
                var bridge = TestBridge.start(dir.resolve("bridge"), """
                        dataDir: %s
                        local:
                          broker: mqtts://127.0.0.1:%d
                          username: %s
                          password: '%s'
                          tls: { ca: %s, certificate: %s, privateKey: %s }
                        sinks:
                          out: { type: file, path: %s }
                        routes:
                          - { name: r, from: sensors/<deviceId>/telemetry, sink: out, topic: edge/<deviceId> }
                        """.formatted(dir.resolve("data"), localBroker.securePort(), USER, PASSWORD,
                        pki.caCertificate(), client.certificate(), client.privateKey(), dir.resolve("out.jsonl")));
                var devices = new Publisher(localBroker.port(), 10)) {
            for (int i = 0; i < 50; i++) {
                devices.publish("sensors/d" + i + "/telemetry", "via-tls-" + i);
            }
            devices.drain(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.count("edgebridge.messages.forwarded") == 50);
            assertThat(Files.readString(dir.resolve("out.jsonl"))).contains("\"topic\":\"edge/d49\"");
        }
    }
}
