package io.edgebridge.aws;

import java.time.Duration;
import java.util.Optional;

/**
 * The {@code aws-iot-core} keys of a route target.
 *
 * @param messageExpiry MQTT 5 message expiry interval for the cloud publish, if set
 */
record AwsTargetOptions(Optional<Duration> messageExpiry) {
}
