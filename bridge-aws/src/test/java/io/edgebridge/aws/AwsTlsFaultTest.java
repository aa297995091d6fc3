package io.edgebridge.aws;

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
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aws-iot-core sink against an independent TLS broker: Mosquitto with {@code require_certificate
 * true} standing in for IoT Core (the client certificate's CN is the user), with throwaway CAs. Each
 * TLS fault is reported at the first attempt, naming the file at fault, at most once per log interval
 * however often it is retried; fixing the file in place lets every spooled message through.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AwsTlsFaultTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private TestCertificates pki;
    private TestCertificates other;
    private TestCertificates.Issued server;
    private Path etc;

    @BeforeEach
    void certificates() throws Exception {
        pki = TestCertificates.newCa(dir.resolve("pki"), "broker-ca");
        other = TestCertificates.newCa(dir.resolve("other"), "other-ca");
        server = pki.server("broker");
        etc = Files.createDirectories(dir.resolve("etc"));
    }

    /** Installs files as an operator would (write aside, rename over). */
    private void install(Path from, String name) throws Exception {
        Path tmp = etc.resolve(name + ".tmp");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, etc.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void useDevice(TestCertificates.Issued device) throws Exception {
        install(device.privateKey(), "device.key.pem");
        install(device.certificate(), "device.crt.pem");
    }

    private String yaml(Mosquitto broker, String routes) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                local:
                  broker: mqtt://127.0.0.1:%d
                  clientId: edgebridge-test
                  reconnect: { min: 100ms, max: 1s }
                sinks:
                %s
                %s
                """.formatted(dir.resolve("data"), broker.port(), AwsSinkYaml.sink(broker.securePort(),
                etc.resolve("device.crt.pem"), etc.resolve("device.key.pem"), etc.resolve("ca.pem"),
                "reconnect: { min: 100ms, max: 400ms, jitter: 0 }", "rotationCheck: 200ms"), routes);
    }

    private static final String TELEMETRY = """
            routes:
              - name: telemetry
                from: devices/<deviceId>/telemetry
                sink: aws
                topic: dt/gateway-1/<deviceId>/telemetry
            """;

    private Mosquitto broker() {
        return new Mosquitto(dir.resolve("mosquitto")).withCertificateListener(pki.caCertificate(),
                server.certificate(), server.privateKey());
    }

    /** TLS connection attempts Mosquitto saw on the certificate listener. */
    private long attempts(Mosquitto broker) throws Exception {
        Path log = dir.resolve("mosquitto").resolve("mosquitto.log");
        return Files.exists(log) ? Files.readAllLines(log).stream()
                .filter(l -> l.contains("New connection from") && l.contains("on port " + broker.securePort())).count() : 0;
    }

    private static long sinkLines(LogCapture logs) {
        return logs.count(e -> e.getLoggerName().equals(AwsIotCoreSink.class.getName()));
    }

    @Test
    void aWrongCaFile_isNamedAtTheFirstAttempt_loggedOncePerInterval_andFixingItDeliversEverything() throws Exception {
        useDevice(pki.client("gateway-1"));
        install(other.caCertificate(), "ca.pem"); // a real CA, just not the broker's
        try (var broker = broker().start();
                var recorder = new Recorder(broker.port(), "cloud-recorder", "dt/#");
                var logs = LogCapture.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(broker, TELEMETRY));
                var devices = new Publisher(broker.port(), 50)) {
            long faultStart = System.nanoTime();
            await().atMost(Duration.ofSeconds(5)).until(() -> sinkLines(logs) >= 1);
            String line = logs.lines().get(0);
            assertThat(line).contains("cannot connect to AWS IoT Core: the server's certificate does not chain to a"
                    + " certificate in file '" + etc.resolve("ca.pem") + "' ('ca')");
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String payload = "{\"n\":" + i + "}";
                devices.publish("devices/dev" + (i % 5) + "/telemetry", payload);
                sent.add(payload);
            }
            devices.drain(30, TimeUnit.SECONDS);
            // Retried with the reconnect backoff (400 ms here), logged once within the 10 s interval.
            await().atMost(Duration.ofSeconds(10)).until(() -> attempts(broker) >= 4);
            assertThat(sinkLines(logs)).as(String.join("\n", logs.lines())).isEqualTo(1);
            assertThat(recorder.total()).isZero();

            install(pki.caCertificate(), "ca.pem");
            long fixed = System.nanoTime();
            recorder.awaitDistinct(50, Duration.ofSeconds(30));
            Duration recovery = Duration.ofNanos(System.nanoTime() - fixed);
            assertThat(recorder.missing(sent)).isEmpty();
            new FaultRow("tls: ca file not the broker's CA, then fixed", "mosquitto", "aws-iot-core", devices.acked(),
                    recorder.distinct(), 0, recorder.duplicates(), recovery, logs.count())
                    .assertAccounted(0).assertLogLinesAtMost(3).record();
            assertThat(Duration.ofNanos(fixed - faultStart)).isPositive();
        }
    }

    @Test
    void aCertificateTheBrokerDoesNotKnow_isNamedAsRefused_andARotationToAKnownOneDeliversEverything()
            throws Exception {
        useDevice(other.client("gateway-1"));
        install(pki.caCertificate(), "ca.pem");
        try (var broker = broker().start();
                var recorder = new Recorder(broker.port(), "cloud-recorder", "dt/#");
                var logs = LogCapture.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(broker, TELEMETRY));
                var devices = new Publisher(broker.port(), 50)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> sinkLines(logs) >= 1);
            assertThat(logs.lines().get(0)).contains("the server refused the client certificate in file '"
                    + etc.resolve("device.crt.pem") + "'").contains("TLS alert unknown_ca");
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String payload = "{\"n\":" + i + "}";
                devices.publish("devices/dev" + (i % 5) + "/telemetry", payload);
                sent.add(payload);
            }
            devices.drain(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> attempts(broker) >= 4);
            // One stable classification: not two alternating aws-crt codes, each logged.
            assertThat(sinkLines(logs)).as(String.join("\n", logs.lines())).isEqualTo(1);

            useDevice(pki.client("gateway-1"));
            long fixed = System.nanoTime();
            recorder.awaitDistinct(50, Duration.ofSeconds(30));
            assertThat(recorder.missing(sent)).isEmpty();
            new FaultRow("tls: client certificate unknown to the broker, then rotated", "mosquitto", "aws-iot-core",
                    devices.acked(), recorder.distinct(), 0, recorder.duplicates(),
                    Duration.ofNanos(System.nanoTime() - fixed), logs.count())
                    .assertAccounted(0).assertLogLinesAtMost(3).record();
        }
    }

    @Test
    void stoppingWhileNotConnected_isFastAndQuiet() throws Exception {
        // With a CA it does not trust, aws-crt (s2n) sits 10-30 s in a "blinding" delay before it reports.
        useDevice(pki.client("gateway-1"));
        install(other.caCertificate(), "ca.pem");
        try (var broker = broker().start(); var logs = LogCapture.start()) {
            TestBridge bridge = TestBridge.start(dir.resolve("bridge"), yaml(broker, TELEMETRY));
            await().atMost(Duration.ofSeconds(5)).until(() -> attempts(broker) >= 1);
            logs.clear();
            long start = System.nanoTime();
            bridge.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(logs.lines()).noneMatch(l -> l.contains("did not close cleanly"));
            assertThat(took).isLessThan(Duration.ofMillis(2500));
        }
    }

    @Test
    void theShippedExample_deliversEachShadowDeltaOnce() throws Exception {
        useDevice(pki.client("gateway-1"));
        install(pki.caCertificate(), "ca.pem");
        String example = Files.readString(Path.of("..", "config", "examples", "aws-iot-core.yaml"));
        String routes = example.substring(example.indexOf("\nroutes:") + 1);
        try (var broker = broker().start();
                var local = new Recorder(broker.port(), "device", "devices/+/shadow/#");
                var logs = LogCapture.start();
                var bridge = TestBridge.start(dir.resolve("bridge"), yaml(broker, routes));
                var cloud = new Publisher(broker.port(), 10)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> logs.count() == 0 && bridge.bridge().sinksConnected());
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
                // until the sink's downstream subscription is in place, a delta finds no subscriber
                cloud.publish("$aws/things/dev1/shadow/update/delta", "{\"state\":{\"on\":true}}");
                return local.total() > 0;
            });
            long before = local.total();
            cloud.publish("$aws/things/dev2/shadow/update/delta", "{\"state\":{\"n\":2}}");
            await().atMost(Duration.ofSeconds(5)).until(() -> local.total() > before);
            // Anything more for dev2 would arrive well within this second.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
            assertThat(local.messages().stream().filter(m -> m.getTopic().toString().equals("devices/dev2/shadow/delta"))
                    .count()).isEqualTo(1);
        }
    }
}
