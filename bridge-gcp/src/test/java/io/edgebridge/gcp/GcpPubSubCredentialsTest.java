package io.edgebridge.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.TestCertificates;
import io.edgebridge.core.testing.TestSinkContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Credentials-file mode: a service-account key generated here is loaded, and the client library
 * signs every call with it (a self-signed JWT as the bearer token, as it does for service accounts
 * by default), over TLS to a stand-in that trusts nothing else; the key never reaches the logs.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GcpPubSubCredentialsTest {

    private static final String EMAIL = "edgebridge@test-project.iam.gserviceaccount.com";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    /** A service-account key file in Google's JSON format, for {@code keys}. */
    static Path serviceAccountKey(Path file, KeyPair keys) throws Exception {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        String json = """
                {
                  "type": "service_account",
                  "project_id": "test-project",
                  "private_key_id": "0123456789abcdef",
                  "private_key": "%s",
                  "client_email": "%s",
                  "client_id": "100000000000000000001",
                  "token_uri": "https://oauth2.googleapis.com/token"
                }
                """.formatted(pem.replace("\n", "\\n"), EMAIL);
        return Files.writeString(file, json);
    }

    @Test
    void serviceAccountKey_signsEveryCall_overTls_andIsNeverLogged() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        Path keyFile = serviceAccountKey(dir.resolve("sa.json"), keys);
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "test-pubsub-ca");
        TestCertificates.Issued server = pki.server("pubsub", "127.0.0.1");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (var pubsub = PubSubStandIn.start(server.certificate(), server.privateKey())) {
            SinkConfig config = Configs.parse("""
                    dataDir: %s
                    sinks:
                      pubsub:
                        type: gcp-pubsub
                        project: test-project
                        endpoint: %s
                        ca: %s
                        credentialsFile: %s
                    routes:
                      - name: telemetry
                        from: devices/<deviceId>/telemetry
                        sink: pubsub
                        topic: telemetry
                    """.formatted(dir.resolve("data"), pubsub.hostPort(), pki.caCertificate(), keyFile))
                    .sinks().get("pubsub");
            Sink sink = new GcpPubSubSinkFactory().create(config, TestSinkContext.of(scheduler, Path.of("target", "gcp-state")));
            try {
                sink.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
                OutboundMessage message = new OutboundMessage("telemetry", "telemetry",
                        "21.5".getBytes(StandardCharsets.UTF_8), 1, false, Map.of("deviceId", "dev1"),
                        Optional.empty(), Optional.empty(), "devices/dev1/telemetry", System.currentTimeMillis(), 1);
                sink.send(message).toCompletableFuture().get(60, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(10)).until(sink::isConnected);
            } finally {
                sink.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            assertThat(pubsub.published()).singleElement()
                    .satisfies(p -> assertThat(p.payload()).isEqualTo("21.5"));
            assertThat(pubsub.authorizations()).isNotEmpty().allSatisfy(a -> {
                assertThat(a).startsWith("Bearer ");
                String[] jwt = a.substring("Bearer ".length()).split("\\.");
                assertThat(jwt).hasSize(3);
                Signature rs256 = Signature.getInstance("SHA256withRSA");
                rs256.initVerify(keys.getPublic());
                rs256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
                assertThat(rs256.verify(Base64.getUrlDecoder().decode(jwt[2]))).as("signed with the key").isTrue();
                String claims = new String(Base64.getUrlDecoder().decode(jwt[1]), StandardCharsets.UTF_8);
                assertThat(claims).contains("\"iss\":\"" + EMAIL + "\"")
                        .contains("https://www.googleapis.com/auth/pubsub");
                assertThat(new String(Base64.getUrlDecoder().decode(jwt[0]), StandardCharsets.UTF_8))
                        .contains("0123456789abcdef");
            });
            String keyText = Base64.getEncoder().encodeToString(keys.getPrivate().getEncoded()).substring(0, 40);
            for (ILoggingEvent e : List.copyOf(logs.list)) {
                String text = e.getFormattedMessage() + " " + e.getKeyValuePairs();
                assertThat(text).doesNotContain(keyText).doesNotContain("PRIVATE KEY");
            }
            assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("as " + EMAIL));
        } finally {
            root.detachAppender(logs);
            scheduler.shutdownNow();
        }
    }
}
