package io.edgebridge.aws;

import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class ZzExperimentTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mqtt-wrong-ca", "mqtt-foreign-cert", "mqtt-expired-cert"})
    void run(String scenario) throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "test-ca");
        TestCertificates other = TestCertificates.newCa(dir.resolve("other"), "other-ca");
        var server = pki.server("broker");
        var client = switch (scenario) {
            case "foreign-cert", "mqtt-foreign-cert", "close-foreign-cert" -> other.client("gateway-1");
            case "expired-cert", "mqtt-expired-cert" -> pki.client("gateway-1", Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)));
            default -> pki.client("gateway-1");
        };
        Path ca = scenario.endsWith("wrong-ca") ? other.caCertificate() : pki.caCertificate();
        try (var mosq = new Mosquitto(dir.resolve("m")).withCertificateListener(pki.caCertificate(), server.certificate(), server.privateKey()).start();
             var logs = LogCapture.start()) {
            long t0 = System.currentTimeMillis();
            String yaml = scenario.startsWith("mqtt") ? """
                dataDir: %s
                local:
                  broker: mqtt://127.0.0.1:%d
                sinks:
                  aws:
                    type: mqtt
                    uri: mqtts://localhost:%d
                    clientId: gateway-1
                    reconnect: { min: 100ms, max: 1s }
                    tls:
                      certificate: %s
                      privateKey: %s
                      ca: %s
                routes:
                  - name: t
                    from: a/#
                    sink: aws
                    topic: x/<#>
                """.formatted(dir.resolve("data"), mosq.port(), mosq.securePort(), client.certificate(), client.privateKey(), ca) : """
                dataDir: %s
                local:
                  broker: mqtt://127.0.0.1:%d
                sinks:
                  aws:
                    type: aws-iot-core
                    endpoint: localhost
                    port: %d
                    clientId: gateway-1
                    certificate: %s
                    privateKey: %s
                    ca: %s
                routes:
                  - name: t
                    from: a/#
                    sink: aws
                    topic: x/<#>
                """.formatted(dir.resolve("data"), mosq.port(), mosq.securePort(), client.certificate(), client.privateKey(), ca);
            try (var bridge = TestBridge.start(dir.resolve("b"), yaml)) {
                org.awaitility.Awaitility.await().pollDelay(Duration.ofSeconds(scenario.startsWith("close") ? 3 : 12)).atMost(Duration.ofSeconds(41)).until(() -> true);
                long tc = System.nanoTime();
                bridge.close();
                System.out.println("[" + scenario + "] close took " + (System.nanoTime() - tc) / 1_000_000 + " ms");
            }
            for (var e : logs.events()) {
                System.out.println("[" + scenario + "] " + (e.getTimeStamp() - t0) + " " + e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage());
            }
        }
    }
}
