package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.cli.Main;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code config/examples/azure-iot-hub.yaml}, validated by the real launcher with the azure module on the class path. */
class AzureExampleTest {

    @Test
    void validate_acceptsTheAzureExample() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "validate", "--config", Path.of("..", "config", "examples", "azure-iot-hub.yaml").toString())
                .redirectErrorStream(true);
        String secretKey = "ZXhhbXBsZS1rZXktbm90LXJlYWw=";
        builder.environment().put("AZURE_IOT_CONNECTION_STRING",
                "HostName=myhub.azure-devices.net;DeviceId=gateway-1;SharedAccessKey=" + secretKey);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("OK").doesNotContain(secretKey);
    }
}
