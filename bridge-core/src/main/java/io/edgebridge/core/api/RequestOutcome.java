package io.edgebridge.core.api;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** How a request a sink received from its cloud (a direct method call) ended locally. */
public sealed interface RequestOutcome {

    /**
     * A device answered on the response topic.
     *
     * @param properties the response's MQTT 5 user properties
     */
    record Answered(byte[] payload, Map<String, String> properties, Optional<String> contentType)
            implements RequestOutcome {
        public Answered {
            properties = Map.copyOf(properties);
        }
    }

    /** No downstream route matches the request's topic. */
    record NoRoute() implements RequestOutcome {
    }

    /** A value the request binds into the local topic is not a single valid topic level. */
    record Invalid(String reason) implements RequestOutcome {
    }

    /** Published locally, but no answer came within the timeout. */
    record TimedOut(Duration after) implements RequestOutcome {
    }

    /** Could not be published locally (broker down, MQTT 3.1.1 session, bridge stopping). */
    record Failed(String reason) implements RequestOutcome {
    }
}
