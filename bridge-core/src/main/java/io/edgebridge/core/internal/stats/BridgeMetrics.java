package io.edgebridge.core.internal.stats;

import io.edgebridge.config.Direction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Registers the meters of {@link BridgeMeter} with the right tags. Hot paths look meters up once
 * (when routes are compiled) and keep the references.
 */
public final class BridgeMetrics {

    /** The sink tag for counts that are not tied to one sink. */
    public static final String ANY_SINK = "*";

    private static final double[] LATENCY_QUANTILES = {0.5, 0.9, 0.99};

    private final MeterRegistry registry;

    public BridgeMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    public Counter received(Direction direction, String route) {
        return counter(BridgeMeter.RECEIVED, Tags.of("direction", direction.tag(), "route", route));
    }

    /** Downstream messages a sink's cloud delivered again (not counted as received again). */
    public Counter redelivered(String route, String sink) {
        return counter(BridgeMeter.REDELIVERED, routeSink(Direction.DOWNSTREAM, route, sink));
    }

    public Counter forwarded(Direction direction, String route, String sink) {
        return counter(BridgeMeter.FORWARDED, routeSink(direction, route, sink));
    }

    public Counter forwardedBytes(Direction direction, String route, String sink) {
        return counter(BridgeMeter.FORWARDED_BYTES, routeSink(direction, route, sink));
    }

    public Counter failed(Direction direction, String route, String sink, String reason) {
        return counter(BridgeMeter.FAILED, routeSink(direction, route, sink).and("reason", reason));
    }

    public Counter dropped(Direction direction, String route, String sink, String reason) {
        return counter(BridgeMeter.DROPPED, routeSink(direction, route, sink).and("reason", reason));
    }

    public Counter deadLettered(Direction direction, String route, String sink, String reason) {
        return counter(BridgeMeter.DEAD_LETTERED, routeSink(direction, route, sink).and("reason", reason));
    }

    public Counter rateLimited(String sink) {
        return counter(BridgeMeter.RATE_LIMITED, Tags.of("sink", sink));
    }

    /** Counted without a base unit, so Prometheus shows {@code edgebridge_local_refused_total}. */
    public Counter localRefused(String action, String reason) {
        return Counter.builder(BridgeMeter.LOCAL_REFUSED.meterName())
                .description(BridgeMeter.LOCAL_REFUSED.description())
                .tags("action", action, "reason", reason)
                .register(registry);
    }

    /** Admin connections the admin server closed, by {@code reason} ({@code limit}, {@code request-timeout}). */
    public Counter adminClosed(String reason) {
        return counter(BridgeMeter.ADMIN_CLOSED, Tags.of("reason", reason));
    }

    /** Counted without a base unit, so Prometheus shows {@code edgebridge_local_dropped_total}. */
    public Counter localDropped(String reason) {
        return Counter.builder(BridgeMeter.LOCAL_DROPPED.meterName())
                .description(BridgeMeter.LOCAL_DROPPED.description())
                .tags("reason", reason)
                .register(registry);
    }

    /**
     * Local receipt to acknowledgement: a histogram (buckets from 1 ms to 10 min: a message can wait
     * in the spool for as long as the cloud is away) and client-side p50/p90/p99. Prometheus shows
     * a timer with buckets without its percentiles, so these are also read out as gauges.
     */
    public Timer latency(Direction direction, String route, String sink) {
        Tags tags = routeSink(direction, route, sink);
        Timer timer = Timer.builder(BridgeMeter.LATENCY.meterName())
                .description(BridgeMeter.LATENCY.description())
                .tags(tags)
                .publishPercentiles(LATENCY_QUANTILES)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        for (double quantile : LATENCY_QUANTILES) {
            Tags quantileTags = tags.and("quantile", Double.toString(quantile));
            if (registry.find(BridgeMeter.LATENCY_PERCENTILE.meterName()).tags(quantileTags).gauge() != null) {
                continue; // routes compiled again (a reload): the gauge reads the same timer already
            }
            Gauge.builder(BridgeMeter.LATENCY_PERCENTILE.meterName(), timer, t -> percentile(t, quantile))
                    .description(BridgeMeter.LATENCY_PERCENTILE.description())
                    .baseUnit(BridgeMeter.LATENCY_PERCENTILE.baseUnit())
                    .tags(quantileTags)
                    .register(registry);
        }
        return timer;
    }

    private static double percentile(Timer timer, double quantile) {
        for (ValueAtPercentile value : timer.takeSnapshot().percentileValues()) {
            if (value.percentile() == quantile) {
                return value.value(TimeUnit.SECONDS);
            }
        }
        return Double.NaN;
    }

    /** Probes of {@code sink}; {@code ok} counts the acknowledged ones, the rest count as failed. */
    public Counter probes(String sink, boolean ok) {
        return counter(BridgeMeter.PROBES, Tags.of("sink", sink, "result", ok ? "ok" : "failed"));
    }

    /** Registers a gauge of one sink; remove it with {@link #remove} when the sink goes away. */
    public <T> Meter sinkGauge(BridgeMeter meter, String sink, T owner, java.util.function.ToDoubleFunction<T> value) {
        return Gauge.builder(meter.meterName(), owner, value)
                .description(meter.description())
                .baseUnit(meter.baseUnit())
                .tag("sink", sink)
                .register(registry);
    }

    /** 1 while {@code member} is the active member of failover group {@code sink}. */
    public static <T> Gauge failoverActive(MeterRegistry registry, String sink, String member, T owner,
            java.util.function.ToDoubleFunction<T> value) {
        return Gauge.builder(BridgeMeter.FAILOVER_ACTIVE.meterName(), owner, value)
                .description(BridgeMeter.FAILOVER_ACTIVE.description())
                .baseUnit(BridgeMeter.FAILOVER_ACTIVE.baseUnit())
                .tags("sink", sink, "member", member)
                .register(registry);
    }

    public static Counter failoverSwitches(MeterRegistry registry, String sink, String from, String to, String reason) {
        return Counter.builder(BridgeMeter.FAILOVER_SWITCHES.meterName())
                .description(BridgeMeter.FAILOVER_SWITCHES.description())
                .baseUnit(BridgeMeter.FAILOVER_SWITCHES.baseUnit())
                .tags("sink", sink, "from", from, "to", to, "reason", reason)
                .register(registry);
    }

    public void remove(Meter meter) {
        registry.remove(meter);
    }

    public void gauge(BridgeMeter meter, Supplier<Number> value) {
        Gauge.builder(meter.meterName(), value)
                .description(meter.description())
                .baseUnit(meter.baseUnit())
                .register(registry);
    }

    /** A counter whose count {@code owner} keeps (the spool's write failures). */
    public <T> void functionCounter(BridgeMeter meter, T owner, java.util.function.ToDoubleFunction<T> count) {
        FunctionCounter.builder(meter.meterName(), owner, count)
                .description(meter.description())
                .baseUnit(meter.baseUnit())
                .register(registry);
    }

    private Counter counter(BridgeMeter meter, Tags tags) {
        return Counter.builder(meter.meterName())
                .description(meter.description())
                .baseUnit(meter.baseUnit())
                .tags(tags)
                .register(registry);
    }

    private static Tags routeSink(Direction direction, String route, String sink) {
        return Tags.of("direction", direction.tag(), "route", route, "sink", sink);
    }
}
