package io.edgebridge.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.cli.Main;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** {@code config/examples/gcp-pubsub.yaml}, validated by the real launcher with the gcp module on the class path. */
class GcpExampleTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void validate_acceptsTheGcpExample() throws Exception {
        Path key = GcpPubSubCredentialsTest.serviceAccountKey(dir.resolve("sa.json"),
                KeyPairGenerator.getInstance("RSA").generateKeyPair());
        ProcessBuilder builder = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "validate", "--config", Path.of("..", "config", "examples", "gcp-pubsub.yaml").toString())
                .redirectErrorStream(true);
        builder.environment().put("GCP_CREDENTIALS_FILE", key.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("OK").doesNotContain("PRIVATE KEY");
    }
}
