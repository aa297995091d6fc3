package io.edgebridge.azure;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.InternalClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import io.edgebridge.core.support.TlsFaults;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/** Builds the Azure SDK's client for a sink's identity, and describes the SDK's failures without secrets. */
final class AzureClients {

    private AzureClients() {
    }

    /** A new, unopened client: device or module, from a connection string, an X.509 identity or the edge environment. */
    static InternalClient create(String sink, AzureIotHubOptions options)
            throws GeneralSecurityException, IOException, IotHubClientException {
        ClientOptions.ClientOptionsBuilder builder = ClientOptions.builder()
                .keepAliveInterval((int) options.keepAlive().toSeconds())
                .sasTokenExpiryTime(options.sasTokenExpiry().toSeconds())
                .messagesSentPerSendInterval(50)
                .threadNamePrefix("edgebridge-azure-" + sink);
        Optional<SSLContext> ssl = AzureTls.context(options);
        ssl.ifPresent(builder::sslContext);
        ClientOptions clientOptions = builder.build();
        return switch (options.mode()) {
            case CONNECTION_STRING -> {
                String cs = options.connectionString().orElseThrow().reveal();
                yield ConnectionStrings.parse(cs).moduleId().isPresent()
                        ? new ModuleClient(cs, IotHubClientProtocol.MQTT, clientOptions)
                        : new DeviceClient(cs, IotHubClientProtocol.MQTT, clientOptions);
            }
            case X509 -> {
                AzureIotHubOptions.X509Identity x = options.x509().orElseThrow();
                String cs = "HostName=" + x.hostName() + ";DeviceId=" + x.deviceId() + ";x509=true"
                        + options.gatewayHostName().map(g -> ";GatewayHostName=" + g).orElse("");
                yield new DeviceClient(cs, IotHubClientProtocol.MQTT, clientOptions);
            }
            case EDGE_MODULE -> ModuleClient.createFromEnvironment(new UnixSocketChannel(),
                    IotHubClientProtocol.MQTT, clientOptions);
        };
    }

    /** The files a TLS failure may be the fault of: the CA, and the X.509 identity's certificate. */
    static TlsFaults.Files tlsFiles(AzureIotHubOptions options) {
        String host = options.gatewayHostName().or(() -> options.x509().map(AzureIotHubOptions.X509Identity::hostName))
                .orElse("the IoT Hub");
        return new TlsFaults.Files(host, options.ca(), options.x509().map(AzureIotHubOptions.X509Identity::certificate));
    }

    /** A secret-free description: the SDK's status code and exception type, and its message (which names no key). */
    static String problem(Exception e) {
        if (e instanceof IotHubClientException hub) {
            return hub.getStatusCode() + (hub.getMessage() == null ? "" : " (" + hub.getMessage() + ")");
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
