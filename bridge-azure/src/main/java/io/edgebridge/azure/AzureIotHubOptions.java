package io.edgebridge.azure;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.Secret;
import io.edgebridge.config.template.Template;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Options of a {@code type: azure-iot-hub} sink.
 *
 * @param mode             where the identity comes from
 * @param connectionString device (or module) connection string with a shared access key (SAS) or
 *                         signature; {@link Mode#CONNECTION_STRING} only
 * @param x509             device certificate identity; {@link Mode#X509} only
 * @param gatewayHostName  connect through this gateway (an IoT Edge parent) instead of the hub;
 *                         for {@link Mode#X509} (a connection string carries its own)
 * @param ca               trust anchors (PEM) instead of the system trust store
 * @param output           the module output upstream messages go to ({@link Mode#EDGE_MODULE})
 * @param maxMessageSize   body plus properties, in bytes; larger messages are dead-lettered
 * @param c2dTopic         the topic a cloud-to-device message is matched under by downstream
 *                         routes, rendered from its application properties
 * @param c2dTimeout       how long a cloud-to-device message may wait for the local broker
 * @param methodTopic      the topic a direct method call is matched under by downstream routes,
 *                         rendered from {@code method} and the top-level values of its JSON payload
 * @param methodTimeout    how long a direct method waits for the local device's response (then 504)
 * @param twin             module/device twin: desired {@code routes}, reported status
 * @param keepAlive        MQTT keep-alive
 * @param sasTokenExpiry   lifetime of the SAS tokens the SDK renews
 * @param sendTimeout      how long a send waits for IoT Hub's acknowledgement
 * @param reconnect        backoff between attempts to open the client
 */
record AzureIotHubOptions(
        Mode mode,
        Optional<Secret> connectionString,
        Optional<X509Identity> x509,
        Optional<String> gatewayHostName,
        Optional<Path> ca,
        String output,
        int maxMessageSize,
        Template c2dTopic,
        Duration c2dTimeout,
        Template methodTopic,
        Duration methodTimeout,
        Twin twin,
        Duration keepAlive,
        Duration sasTokenExpiry,
        Duration sendTimeout,
        Backoff reconnect) {

    /** How the sink authenticates. */
    enum Mode {
        /** {@code connectionString}: a device (or module) identity with a SAS key. */
        CONNECTION_STRING,
        /** {@code x509}: a device identity with a certificate. */
        X509,
        /** {@code mode: edge-module}: the module identity the IoT Edge runtime provides. */
        EDGE_MODULE
    }

    /**
     * The twin settings.
     *
     * @param routes         whether the desired property {@code routes} replaces the running routes
     * @param reportInterval how often reported properties refresh the stats; zero reports nothing
     */
    record Twin(boolean routes, Duration reportInterval) {
        static final Twin DEFAULT = new Twin(false, Duration.ofSeconds(60));
    }

    /**
     * A device certificate identity.
     *
     * @param hostName    the hub, {@code <hub>.azure-devices.net}
     * @param deviceId    the device id registered with the certificate's thumbprint or CA
     * @param certificate the device certificate (PEM)
     * @param privateKey  its private key (PEM)
     */
    record X509Identity(String hostName, String deviceId, Path certificate, Path privateKey) {
    }

    /** Who connects, for logs: hub and device (and module), never the key. */
    String display(ConnectionStrings.Identity identity) {
        return identity.hostName() + "/" + identity.deviceId()
                + identity.moduleId().map(m -> "/" + m).orElse("");
    }
}
