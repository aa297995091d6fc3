package io.edgebridge.core.internal.delivery;

import io.edgebridge.core.internal.local.Intake;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.route.CompiledRoute;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.spool.SpoolException;
import io.edgebridge.core.internal.spool.SpoolFullException;
import io.edgebridge.core.support.Futures;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Accepts local messages into the spool: a message matching at least one upstream route is
 * written once (whatever the number of routes and targets) and acknowledged when durable.
 *
 * <p>Messages waiting for the spool's writer are held in memory. QoS 1/2 messages are bounded by
 * the devices' own in-flight windows (they are acknowledged only once durable), but QoS 0 has no
 * acknowledgement and so no flow control: a device can publish faster than any disk. While more
 * than {@code maxPendingBytes} wait for the writer, QoS 0 messages are therefore not spooled
 * (MQTT's "at most once" allows it; the local broker still delivers them to local subscribers) and
 * counted as dropped with reason {@code overload}, instead of filling the heap.
 */
public final class UpstreamIntake implements Intake {

    /** Default bound of message bytes waiting for the spool writer before QoS 0 is shed. */
    public static final long DEFAULT_MAX_PENDING_BYTES = 16L << 20;

    private static final Accepted NOT_BRIDGED = new Accepted(CompletableFuture.completedFuture(null), false);
    /** Per-message overhead counted against the bound besides payload and topic. */
    private static final int OVERHEAD = 96;

    private volatile RouteTable routes;
    private final Spool spool;
    private final LongSupplier clock;
    private final long maxPendingBytes;
    private final AtomicLong pendingBytes = new AtomicLong();
    private volatile boolean stopped;

    public UpstreamIntake(RouteTable routes, Spool spool, LongSupplier clock) {
        this(routes, spool, clock, DEFAULT_MAX_PENDING_BYTES);
    }

    public UpstreamIntake(RouteTable routes, Spool spool, LongSupplier clock, long maxPendingBytes) {
        this.routes = routes;
        this.spool = spool;
        this.clock = clock;
        this.maxPendingBytes = maxPendingBytes;
    }

    @Override
    public CompletableFuture<Void> accept(String topic, byte[] payload, int qos, boolean retain) {
        return take(topic, payload, qos, retain, false).stored();
    }

    @Override
    public Accepted acceptCertain(String topic, byte[] payload, int qos, boolean retain) {
        return take(topic, payload, qos, retain, true);
    }

    private Accepted take(String topic, byte[] payload, int qos, boolean retain, boolean judge) {
        if (stopped) {
            return new Accepted(CompletableFuture.failedFuture(new SpoolException("bridge is stopping")), false);
        }
        // Responses to the bridge's own requests (direct methods) are not device data.
        if (topic.startsWith(LocalBroker.RESPONSE_TOPIC_PREFIX)) {
            return NOT_BRIDGED;
        }
        List<CompiledRoute> matched = routes.acceptUpstream(topic);
        if (matched.isEmpty()) {
            return NOT_BRIDGED;
        }
        long size = payload.length + 2L * topic.length() + OVERHEAD;
        if (qos == 0 && pendingBytes.get() >= maxPendingBytes) {
            for (CompiledRoute route : matched) {
                route.overload().increment();
            }
            return NOT_BRIDGED;
        }
        // Judged with this message counted and before it can be answered: everything waiting fits.
        long waiting = pendingBytes.addAndGet(size);
        boolean certain = judge && spool.certainToTake(waiting);
        CompletableFuture<Void> stored = spool.append(clock.getAsLong(), qos, retain, topic, payload).handle((seq, error) -> {
            pendingBytes.addAndGet(-size);
            if (error == null) {
                return null;
            }
            Throwable cause = Futures.unwrap(error);
            if (cause instanceof SpoolFullException) {
                for (CompiledRoute route : matched) {
                    route.refused().increment();
                }
            }
            throw new CompletionException(cause);
        });
        return new Accepted(stored, certain);
    }

    @Override
    public void droppedByBroker(String topic) {
        for (CompiledRoute route : routes.matchUpstream(topic)) {
            route.localBroker().increment();
        }
    }

    /** Routes messages arriving from now on with {@code next} (a reload). */
    public void routes(RouteTable next) {
        this.routes = next;
    }

    /** Message bytes (with overhead) waiting for the spool writer. */
    long pendingBytes() {
        return pendingBytes.get();
    }

    public void stop() {
        stopped = true;
    }
}
