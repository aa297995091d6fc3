package io.edgebridge.config;

import java.util.Optional;

/**
 * One entry of {@code sinks}.
 *
 * @param name        the key under {@code sinks}
 * @param type        the sink type ({@code mqtt}, {@code file}, {@code aws-iot-core}, ...)
 * @param maxInFlight messages sent to the sink and not yet acknowledged, at most
 * @param rateLimit   sends per second the sink may take (messages, payload bytes), if limited
 * @param options     what the type's {@link SinkType#parseOptions} returned
 * @param location    where the sink is defined
 */
public record SinkConfig(String name, String type, int maxInFlight, Optional<RateLimit> rateLimit, Object options,
        Location location) {

    /** The type-specific options, as the sink type parsed them. */
    public <T> T options(Class<T> type) {
        return type.cast(options);
    }
}
