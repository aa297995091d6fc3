package io.edgebridge.core.internal.local;

import java.time.Duration;

/** No response to a {@link LocalBroker#request} within its timeout. */
public final class LocalRequestTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public LocalRequestTimeoutException(String topic, Duration timeout) {
        super("no response on the local broker to a request on " + topic + " within " + timeout, null, false, false);
    }
}
