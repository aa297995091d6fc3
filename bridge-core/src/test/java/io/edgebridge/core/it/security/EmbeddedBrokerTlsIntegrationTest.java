package io.edgebridge.core.it.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.edgebridge.config.TlsConfig;
import io.edgebridge.core.support.PemTls;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS listener that requires client certificates from the device CA; the bridge's own session
 * then uses an internal plain loopback listener (intake over MQTT proves it works).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedBrokerTlsIntegrationTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String yaml(TestCertificates pki, TestCertificates.Issued server, int port) {
        return """
                dataDir: %s
                local:
                  embedded:
                    listeners:
                      - address: 127.0.0.1
                        port: %d
                        tls: { certificate: %s, privateKey: %s, ca: %s, clientAuth: required }
                    persistence: in-memory
                    intake: mqtt
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - { name: telemetry, from: sensors/<deviceId>/#, sink: out, topic: edge/<deviceId> }
                """.formatted(dir.resolve("data"), port, server.certificate(), server.privateKey(),
                pki.caCertificate(), dir.resolve("out.jsonl"));
    }

    @Test
    void clientAuthRequired_acceptsACertificateFromTheCa_refusesAClientWithout_andBridgesOverTheInternalListener()
            throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "devices-ca");
        TestCertificates.Issued server = pki.server("broker");
        TestCertificates.Issued device = pki.client("dev1");
        int port = Ports.free();

        try (TestBridge bridge = TestBridge.start(dir, yaml(pki, server, port))) {
            Mqtt5BlockingClient withCert = client(port, "dev1", tls(pki, Optional.of(device)));
            withCert.connect();
            withCert.publishWith().topic("sensors/dev1/t").qos(MqttQos.AT_LEAST_ONCE)
                    .payload("over-tls".getBytes(StandardCharsets.UTF_8)).send();
            withCert.disconnect();

            Throwable refused = catchThrowable(() -> client(port, "dev2", tls(pki, Optional.empty())).connect());

            assertThat(refused).isNotNull();
            Path out = dir.resolve("out.jsonl");
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> Files.exists(out) && Files.readString(out).contains("over-tls"));
            assertThat(bridge.bridge().isLocalConnected()).isTrue();
            try (Stream<Path> conf = Files.list(dir.resolve("data/broker/conf"))) {
                assertThat(conf.filter(p -> p.toString().endsWith(".p12") || p.endsWith("config.xml")))
                        .hasSize(3)
                        .allSatisfy(p -> assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                                .isEqualTo("rw-------"));
            }
        }
    }

    @Test
    void aPortInUse_failsTheStart_namingTheListener() throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "devices-ca");
        TestCertificates.Issued server = pki.server("broker");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

            Throwable failure = catchThrowable(() -> TestBridge.start(dir, yaml(pki, server, taken.getLocalPort())));

            assertThat(failure).hasMessageContaining("embedded broker cannot listen on tls 127.0.0.1:"
                    + taken.getLocalPort());
        }
    }

    private static com.hivemq.client.mqtt.MqttClientSslConfig tls(TestCertificates pki,
            Optional<TestCertificates.Issued> cert) throws Exception {
        TlsConfig files = new TlsConfig(Optional.of(pki.caCertificate()), cert.map(TestCertificates.Issued::certificate),
                cert.map(TestCertificates.Issued::privateKey), Optional.empty(), true);
        var builder = com.hivemq.client.mqtt.MqttClientSslConfig.builder()
                .trustManagerFactory(PemTls.trustManagers(files).orElseThrow());
        if (cert.isPresent()) {
            builder = builder.keyManagerFactory(PemTls.keyManagers(files).orElseThrow());
        }
        return builder.build();
    }

    private static Mqtt5BlockingClient client(int port, String id, com.hivemq.client.mqtt.MqttClientSslConfig ssl) {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(port)
                .sslConfig(ssl).buildBlocking();
    }
}
