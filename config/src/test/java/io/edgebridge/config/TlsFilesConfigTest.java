package io.edgebridge.config;

import static io.edgebridge.config.Yamls.load;
import static io.edgebridge.config.Yamls.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader checks every PEM file of a TLS setting (here an external local broker's {@code tls} and an
 * embedded TLS listener; the cloud sinks use the same {@code ConfigMap} calls): each parses, the key
 * belongs to the certificate, the certificate is within its validity period, and a CA file holds a CA
 * certificate. Each problem names the file and the key, and none shows key material.
 */
class TlsFilesConfigTest {

    @TempDir
    Path dir;

    private TestPki pki;
    private TestPki.Pair device;

    @BeforeEach
    void files() {
        pki = new TestPki(dir.resolve("pki"), "test-ca");
        device = pki.issue("device");
    }

    private static String local(Path ca, Path certificate, Path key) {
        return Yamls.withDefaults("""
                local:
                  broker: mqtts://broker.example.com:8883
                  tls: {ca: %s, certificate: %s, privateKey: %s}
                """.formatted(ca, certificate, key));
    }

    private static List<String> problems(ConfigException e) {
        return e.problems().stream().map(ConfigProblem::format).toList();
    }

    @Test
    void goodFiles_load() throws ConfigException {
        BridgeConfig config = load(local(pki.ca(), device.certificate(), device.privateKey()));

        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void anExpiredCertificate_isAnErrorNamingTheFileAndTheDate() {
        Instant now = Instant.now();
        TestPki.Pair expired = pki.issue("expired", now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)));

        ConfigException e = rejected(local(pki.ca(), expired.certificate(), expired.privateKey()));

        assertThat(problems(e)).singleElement().asString().contains("local.tls.certificate")
                .contains("the certificate 'CN=expired' in file '" + expired.certificate() + "' expired on");
    }

    @Test
    void aCertificateNotValidYet_isAWarning_forAClockThatIsBehind() throws ConfigException {
        Instant now = Instant.now();
        TestPki.Pair future = pki.issue("future", now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)));

        BridgeConfig config = load(local(pki.ca(), future.certificate(), future.privateKey()));

        assertThat(config.warnings()).singleElement().satisfies(w -> assertThat(w.format())
                .contains("local.tls.certificate").contains("is not valid until").contains("this machine's clock"));
    }

    @Test
    void aKeyOfAnotherCertificate_isAnErrorAtPrivateKey() {
        TestPki.Pair other = pki.issue("other");

        ConfigException e = rejected(local(pki.ca(), device.certificate(), other.privateKey()));

        assertThat(problems(e)).singleElement().asString().contains("local.tls.privateKey")
                .contains("the private key in file '" + other.privateKey() + "' does not belong to the certificate"
                        + " 'CN=device' in file '" + device.certificate() + "'");
    }

    @Test
    void anUnparseableKey_isAnErrorNamingTheFile_withoutItsContent() throws Exception {
        String secretLooking = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg" + "A".repeat(40);
        Path broken = pki.write("broken.key.pem", "-----BEGIN PRIVATE KEY-----\n" + secretLooking
                + "\n-----END PRIVATE KEY-----\n");

        ConfigException e = rejected(local(pki.ca(), device.certificate(), broken));

        assertThat(problems(e)).singleElement().asString().contains("local.tls.privateKey")
                .contains("file '" + broken + "'").doesNotContain(secretLooking.substring(0, 20));
    }

    @Test
    void swappedCertificateAndKey_saySo() {
        ConfigException e = rejected(local(pki.ca(), device.privateKey(), device.certificate()));

        assertThat(problems(e)).hasSize(2).anySatisfy(p -> assertThat(p).contains("local.tls.certificate")
                .contains("holds a private key, not a certificate"))
                .anySatisfy(p -> assertThat(p).contains("local.tls.privateKey")
                        .contains("holds a certificate, not a private key"));
    }

    @Test
    void aCaFileWithOnlyALeafCertificate_isAnError() {
        ConfigException e = rejected(local(device.certificate(), device.certificate(), device.privateKey()));

        assertThat(problems(e)).singleElement().asString().contains("local.tls.ca")
                .contains("file '" + device.certificate() + "' holds no CA certificate")
                .contains("'CN=device' is an end-entity certificate issued by 'CN=test-ca'");
    }

    @Test
    void aCaFileThatIsNotPem_isAnError() throws Exception {
        Path text = pki.write("notes.txt", "not a certificate\n");

        ConfigException e = rejected(local(text, device.certificate(), device.privateKey()));

        assertThat(problems(e)).singleElement().asString().contains("local.tls.ca").contains("holds no certificate");
    }

    @Test
    void anEmbeddedTlsListener_isCheckedTheSameWay() {
        Instant now = Instant.now();
        TestPki.Pair expired = pki.issue("broker", now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)));

        ConfigException e = rejected(Yamls.withDefaults("""
                local:
                  embedded:
                    listeners:
                      - {port: 8883, tls: {certificate: %s, privateKey: %s, ca: %s, clientAuth: required}}
                """.formatted(expired.certificate(), device.privateKey(), device.certificate())));

        assertThat(problems(e)).hasSize(3)
                .anySatisfy(p -> assertThat(p).contains(".tls.certificate").contains("expired on"))
                .anySatisfy(p -> assertThat(p).contains(".tls.privateKey").contains("does not belong"))
                .anySatisfy(p -> assertThat(p).contains(".tls.ca").contains("holds no CA certificate"));
        assertThat(Files.exists(expired.certificate())).isTrue();
    }
}
