package io.edgebridge.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.cli.Main;
import io.edgebridge.core.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** {@code config/examples/aws-iot-core.yaml}, validated by the real launcher with the aws module on the class path. */
class AwsExampleTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void validate_acceptsTheAwsExample() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        TestCertificates pki = TestCertificates.newCa(etc.resolve("pki"), "root-ca");
        TestCertificates.Issued device = pki.client("gateway-1");
        Files.copy(device.certificate(), etc.resolve("gateway-1.cert.pem"));
        Files.copy(device.privateKey(), etc.resolve("gateway-1.private.key"));
        Files.copy(pki.caCertificate(), etc.resolve("AmazonRootCA1.pem"));
        ProcessBuilder builder = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "validate", "--config", Path.of("..", "config", "examples", "aws-iot-core.yaml").toString())
                .redirectErrorStream(true);
        builder.environment().put("EDGEBRIDGE_ETC", etc.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("OK");
        // Each cloud topic reaches one downstream route: no "published twice" warning (issue 14, finding 10).
        assertThat(output).doesNotContain("warning");
    }
}
