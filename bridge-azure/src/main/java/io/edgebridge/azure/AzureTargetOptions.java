package io.edgebridge.azure;

import io.edgebridge.azure.AzureIotHubSinkFactory.MessageIdMode;
import java.util.Optional;

/**
 * The {@code azure-iot-hub} keys of a route target.
 *
 * @param contentEncoding the message's content encoding (system property), if set
 * @param messageId       how the message id is set
 */
record AzureTargetOptions(Optional<String> contentEncoding, MessageIdMode messageId) {

    static final AzureTargetOptions DEFAULT = new AzureTargetOptions(Optional.empty(), MessageIdMode.SEQUENCE);
}
