package io.edgebridge.core.internal.delivery;

import io.edgebridge.core.internal.local.Intake;
import io.edgebridge.core.internal.route.CompiledRoute;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.spool.SpoolEntry;
import io.edgebridge.core.internal.spool.SpoolException;
import io.edgebridge.core.internal.spool.SpoolFullException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;

/**
 * Accepts local messages into the spool: a message matching at least one upstream route is
 * written once (whatever the number of routes and targets) and acknowledged when durable.
 */
public final class UpstreamIntake implements Intake {

    private static final CompletableFuture<Void> NOT_BRIDGED = CompletableFuture.completedFuture(null);

    private final RouteTable routes;
    private final Spool spool;
    private final LongSupplier clock;
    private volatile boolean stopped;

    public UpstreamIntake(RouteTable routes, Spool spool, LongSupplier clock) {
        this.routes = routes;
        this.spool = spool;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<Void> accept(String topic, byte[] payload, int qos, boolean retain) {
        if (stopped) {
            return CompletableFuture.failedFuture(new SpoolException("bridge is stopping"));
        }
        List<CompiledRoute> matched = routes.acceptUpstream(topic);
        if (matched.isEmpty()) {
            return NOT_BRIDGED;
        }
        byte[] record = SpoolEntry.encode(clock.getAsLong(), qos, retain, topic, payload);
        return spool.append(record).handle((seq, error) -> {
            if (error == null) {
                return null;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof SpoolFullException) {
                for (CompiledRoute route : matched) {
                    route.refused().increment();
                }
            }
            throw new CompletionException(cause);
        });
    }

    public void stop() {
        stopped = true;
    }
}
