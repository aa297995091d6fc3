package io.edgebridge.core.internal.route;

import io.edgebridge.config.Direction;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;

/** The meters of one route/sink pair, looked up once when routes are compiled. */
public record TargetMeters(
        Counter forwarded,
        Counter forwardedBytes,
        Counter failedRetry,
        Counter failedRejected,
        Counter failedPermanent,
        Counter deadLetteredRejected,
        Counter deadLetteredPermanent,
        Timer latency) {

    public static TargetMeters of(BridgeMetrics metrics, Direction direction, String route, String sink) {
        return new TargetMeters(
                metrics.forwarded(direction, route, sink),
                metrics.forwardedBytes(direction, route, sink),
                metrics.failed(direction, route, sink, "retry"),
                metrics.failed(direction, route, sink, "rejected"),
                metrics.failed(direction, route, sink, "permanent"),
                metrics.deadLettered(direction, route, sink, "rejected"),
                metrics.deadLettered(direction, route, sink, "permanent"),
                metrics.latency(direction, route, sink));
    }
}
