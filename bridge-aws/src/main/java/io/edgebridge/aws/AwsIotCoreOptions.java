package io.edgebridge.aws;

import io.edgebridge.config.Backoff;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Options of a {@code type: aws-iot-core} sink.
 *
 * @param endpoint         the account's IoT data endpoint host ({@code xxxx-ats.iot.<region>.amazonaws.com})
 * @param port             8883, or 443 (then ALPN {@code x-amzn-mqtt-ca} is offered)
 * @param clientId         MQTT client id (usually the thing name)
 * @param certificate      the device certificate (PEM)
 * @param privateKey       its private key (PEM)
 * @param ca               root CA file (PEM); empty for the system trust store
 * @param keepAlive        MQTT keep-alive
 * @param sessionExpiry    how long IoT Core keeps the session while disconnected; zero for a clean session
 * @param reconnect        reconnect backoff
 * @param connectTimeout   TCP/TLS connect and CONNACK timeout
 * @param operationTimeout how long a PUBLISH or SUBSCRIBE may wait for its acknowledgement
 * @param forwardRetain    whether a route's {@code retain: true} is passed on (IoT Core bills retained messages)
 * @param rotationCheck    how often the certificate and key files are checked for a rotation
 */
record AwsIotCoreOptions(
        String endpoint,
        int port,
        String clientId,
        Path certificate,
        Path privateKey,
        Optional<Path> ca,
        Duration keepAlive,
        Duration sessionExpiry,
        Backoff reconnect,
        Duration connectTimeout,
        Duration operationTimeout,
        boolean forwardRetain,
        Duration rotationCheck) {

    /** {@code endpoint:port}, for logs. */
    String display() {
        return endpoint + ":" + port;
    }
}
