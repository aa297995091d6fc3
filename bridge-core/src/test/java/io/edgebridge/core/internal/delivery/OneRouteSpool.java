package io.edgebridge.core.internal.delivery;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.RateLimit;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.testing.Configs;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the pump and intake tests run on: a spool under a temporary folder and one route from
 * {@code s/<id>} to the sink {@code out} as {@code t/<id>}, dead-lettered after 3 attempts to
 * {@code local}. Closing it stops the pump made here, the scheduler and the spool.
 */
final class OneRouteSpool implements AutoCloseable {

    final FakeLocal local = new FakeLocal();
    final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    final Spool spool;
    final RouteTable routes;
    final DeadLetters deadLetters;
    private final MeterRegistry registry;
    private SinkPump pump;

    OneRouteSpool(Path dir, MeterRegistry registry) {
        this.registry = registry;
        BridgeConfig config = Configs.parse("""
                spool: { dir: %s }
                deadLetter: { maxAttempts: 3 }
                sinks:
                  out: { type: file, path: out.jsonl }
                routes:
                  - name: r
                    from: s/<id>
                    sink: out
                    topic: t/<id>
                """.formatted(dir.resolve("spool")));
        spool = Spool.open(config.spool(), System::currentTimeMillis);
        routes = RouteTable.compile(config, new BridgeMetrics(registry));
        deadLetters = new DeadLetters(config.deadLetter(), local);
    }

    /** A pump of {@code sink} on the route, not started yet. */
    SinkPump pump(Sink sink, int maxInFlight, Optional<RateLimit> rateLimit) {
        pump = new SinkPump("out", sink, routes.upstreamFor("out"), spool, deadLetters, scheduler,
                new BridgeMetrics(registry), maxInFlight, rateLimit);
        return pump;
    }

    @Override
    public void close() {
        if (pump != null) {
            pump.stop(Duration.ofSeconds(1)).join();
        }
        scheduler.shutdownNow();
        spool.close();
    }
}
