package io.edgebridge.config;

import java.util.Optional;

/**
 * One entry of {@code sinks}.
 *
 * @param name        the key under {@code sinks}
 * @param type        the sink type ({@code mqtt}, {@code file}, {@code aws-iot-core}, ...), or
 *                    {@link FailoverOptions#TYPE}
 * @param maxInFlight messages sent to the sink and not yet acknowledged, at most
 * @param rateLimit   sends per second the sink may take (messages, payload bytes), if limited
 * @param options     what the type's {@link SinkType#parseOptions} returned; {@link FailoverOptions}
 *                    for a failover group
 * @param location    where the sink is defined
 * @param required    whether the bridge's readiness depends on this sink
 * @param probe       the sink's probe, if configured
 */
public record SinkConfig(String name, String type, int maxInFlight, Optional<RateLimit> rateLimit, Object options,
        Location location, boolean required, Optional<ProbeConfig> probe) {

    /** A required sink without a probe or a rate limit. */
    public SinkConfig(String name, String type, int maxInFlight, Object options, Location location) {
        this(name, type, maxInFlight, Optional.empty(), options, location, true, Optional.empty());
    }

    /** Whether {@code other} has the same settings (wherever it is written). */
    public boolean sameSettings(SinkConfig other) {
        return withoutLocation().equals(other.withoutLocation());
    }

    private SinkConfig withoutLocation() {
        return new SinkConfig(name, type, maxInFlight, rateLimit, options, null, required, probe);
    }

    /** The type-specific options, as the sink type parsed them. */
    public <T> T options(Class<T> type) {
        return type.cast(options);
    }
}
