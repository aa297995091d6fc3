package io.edgebridge.azure;

import io.edgebridge.core.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/** What the IoT Hub stand-in tests share: the device's shared access key and configuration pieces. */
final class AzureFixture {

    /** The device's shared access key (base64), as IoT Hub issues them. */
    static final String KEY = Base64.getEncoder().encodeToString(
            "edgebridge-test-shared-access-key".getBytes(StandardCharsets.UTF_8));

    private AzureFixture() {
    }

    /** {@code dataDir}, no stats lines, and an external local broker (Mosquitto) on {@code localPort}. */
    static String head(Path dataDir, int localPort, String clientId) {
        return """
                dataDir: %s
                stats: { logInterval: 0 }
                local:
                  broker: mqtt://127.0.0.1:%d
                  clientId: %s
                  reconnect: { min: 100ms, max: 1s }
                """.formatted(dataDir, localPort, clientId);
    }

    /** Sink {@code hub}: the device gateway-1 on {@code hub} with {@link #KEY}, trusting {@code pki}'s CA. */
    static String hubSink(IotHubStandIn hub, TestCertificates pki) {
        return """
                  hub:
                    type: azure-iot-hub
                    connectionString: HostName=%s;DeviceId=gateway-1;SharedAccessKey=%s
                    ca: %s
                    sendTimeout: 20s
                    reconnect: { min: 100ms, max: 1s }
                """.formatted(hub.hostName(), KEY, pki.caCertificate());
    }
}
