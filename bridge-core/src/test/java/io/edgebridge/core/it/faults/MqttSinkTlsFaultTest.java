package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mqtt sink (Netty + PemTls) against Mosquitto with {@code require_certificate true}: a CA file
 * that is not the broker's is named at the first attempt and logged once per interval however often
 * the link retries; a reload with the right file delivers every message spooled meanwhile.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MqttSinkTlsFaultTest {

    private static final String LINK = "io.edgebridge.core.internal.mqtt.NettyMqttLink";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private String yaml(Mosquitto broker, Path ca, TestCertificates.Issued client) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                local:
                  broker: mqtt://127.0.0.1:%d
                  clientId: edgebridge-test
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtts://localhost:%d
                    clientId: gateway-1
                    reconnect: { min: 100ms, max: 400ms, jitter: 0 }
                    tls: { ca: %s, certificate: %s, privateKey: %s }
                routes:
                  - { name: telemetry, from: devices/<deviceId>/telemetry, sink: cloud, topic: up/<deviceId> }
                """.formatted(dir.resolve("data"), broker.port(), broker.securePort(), ca, client.certificate(),
                client.privateKey());
    }

    private long attempts(Mosquitto broker) throws Exception {
        Path log = dir.resolve("mosquitto").resolve("mosquitto.log");
        return Files.exists(log) ? Files.readAllLines(log).stream()
                .filter(l -> l.contains("New connection from") && l.contains("on port " + broker.securePort())).count() : 0;
    }

    @Test
    void aCaFileThatIsNotTheBrokers_isNamedOnce_andAReloadWithTheRightOneDeliversEverything() throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "broker-ca");
        TestCertificates other = TestCertificates.newCa(dir.resolve("other"), "other-ca");
        TestCertificates.Issued server = pki.server("broker");
        TestCertificates.Issued client = pki.client("gateway-1");
        try (var broker = new Mosquitto(dir.resolve("mosquitto"))
                        .withCertificateListener(pki.caCertificate(), server.certificate(), server.privateKey()).start();
                var recorder = new Recorder(broker.port(), "cloud-recorder", "up/#");
                var logs = LogCapture.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(broker, other.caCertificate(), client));
                var devices = new Publisher(broker.port(), 50)) {
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> logs.count(e -> e.getLoggerName().equals(LINK)) >= 1);
            assertThat(logs.lines().get(0)).contains("cannot connect: the server's certificate does not chain to a"
                    + " certificate in file '" + other.caCertificate() + "' ('ca')");
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String payload = "m" + i;
                devices.publish("devices/dev" + (i % 5) + "/telemetry", payload);
                sent.add(payload);
            }
            devices.drain(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> attempts(broker) >= 5);
            assertThat(logs.count(e -> e.getLoggerName().equals(LINK)))
                    .as(String.join("\n", logs.lines())).isEqualTo(1);

            // The operator fixes the file and restarts (a reload that changes a sink is issue 14's finding 1).
            bridge.close();
            long fixed = System.nanoTime();
            try (var restarted = TestBridge.start(dir.resolve("bridge"), yaml(broker, pki.caCertificate(), client))) {
                recorder.awaitDistinct(50, Duration.ofSeconds(30));
                assertThat(recorder.missing(sent)).isEmpty();
                new FaultRow("tls: ca file not the broker's CA, then fixed (restart)", "mosquitto", "mqtt",
                        devices.acked(), recorder.distinct(), 0, recorder.duplicates(),
                        Duration.ofNanos(System.nanoTime() - fixed), logs.count())
                        .assertAccounted(0).assertLogLinesAtMost(3).record();
            }
        }
    }
}
