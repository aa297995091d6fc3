package io.edgebridge.core.internal.local;

import java.util.Map;
import java.util.Optional;

/** A device's answer to a {@link LocalBroker#request}: what it published to the response topic. */
public record LocalResponse(byte[] payload, Map<String, String> userProperties, Optional<String> contentType) {
}
