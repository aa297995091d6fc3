package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.cli.Main;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code config/examples/azure-iot-hub.yaml} and {@code iot-edge-module.yaml}, validated by the real launcher with the azure module on the class path. */
class AzureExampleTest {

    private static ProcessBuilder validate(String example) {
        return new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "validate", "--config", Path.of("..", "config", "examples", example).toString())
                .redirectErrorStream(true);
    }

    @Test
    void validate_acceptsTheIotEdgeModuleExample() throws Exception {
        Process process = validate("iot-edge-module.yaml").start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("OK");
    }

    @Test
    void validate_acceptsTheAzureExample() throws Exception {
        ProcessBuilder builder = validate("azure-iot-hub.yaml");
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
