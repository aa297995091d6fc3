package io.edgebridge.core.internal.sink.failover;

import io.edgebridge.config.FailoverOptions;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.support.Futures;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * A failover group: sends every message to one member, the active one, and switches to the first
 * connected member in order when the active one fails {@code switchAfterFailures} sends in a row
 * (transient failures) or stays disconnected for {@code switchAfterDisconnected}; it switches back
 * to a member earlier in the order once that one has been connected for {@code switchBackAfter}.
 * With no other member connected, it stays where it is.
 *
 * <p>Each send completes exactly once. When the group switches away from a failing member, the
 * sends still open on it are completed with {@link Disposition#RETRY}, so the pump sends them again
 * (to the new member) instead of waiting for a connection that may not come back; an
 * acknowledgement the old member gives later is ignored. The old member may still deliver such a
 * message after its reconnect, so a message can reach two destinations (at-least-once). On a
 * switch back the sends open on the old, healthy member finish there.
 *
 * <p>Members are ordinary sinks that the bridge creates, starts and closes; other routes may use
 * them directly. The Sink API has no connection events, so members' connections are looked at
 * every {@link #CHECK_INTERVAL}. Member choice and the record of open sends are guarded by one lock;
 * member sends and completions of the returned stages happen outside it.
 */
public final class FailoverSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(FailoverSink.class);

    /** How often the members' connections are looked at. */
    public static final Duration CHECK_INTERVAL = Duration.ofMillis(100);
    private static final long NEVER = Long.MIN_VALUE;
    private static final String SWITCHED = "left the member this was sent to; sending again";

    /** Why the group switched; the {@code reason} tag of the switch counter. */
    enum Reason {
        FAILURES("failures"), DISCONNECTED("disconnected"), SWITCH_BACK("switch-back");

        final String tag;

        Reason(String tag) {
            this.tag = tag;
        }
    }

    private final String name;
    private final List<Sink> members;
    private final FailoverOptions options;
    private final MeterRegistry registry;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoClock;

    private final Object lock = new Object();
    // Guarded by lock.
    /** Per member, the sends open on it, in the order they were made. */
    private final List<LinkedHashSet<CompletableFuture<Void>>> open = new ArrayList<>();
    /** Per member, since when it has been seen connected without interruption, or NEVER. */
    private final long[] connectedSince;
    private int consecutiveFailures;
    private long activeDownSince = NEVER;
    private boolean warnedNoAlternative;
    private boolean closed;
    private ScheduledFuture<?> checks;

    /** Written under lock; read without it by the gauges. */
    private volatile int active;

    /**
     * {@code members} in order of preference; {@code nanoClock} is {@link System#nanoTime} except in
     * tests, which also call {@link #check()} themselves rather than {@link #start()}.
     */
    private final List<Gauge> gauges = new ArrayList<>();

    public FailoverSink(String name, List<Sink> members, FailoverOptions options, MeterRegistry registry,
            ScheduledExecutorService scheduler, LongSupplier nanoClock) {
        if (members.size() < 2) {
            throw new IllegalArgumentException("a failover group needs at least two members");
        }
        this.name = name;
        this.members = List.copyOf(members);
        this.options = options;
        this.registry = registry;
        this.scheduler = scheduler;
        this.nanoClock = nanoClock;
        this.connectedSince = new long[members.size()];
        Arrays.fill(connectedSince, NEVER);
        for (int i = 0; i < members.size(); i++) {
            open.add(new LinkedHashSet<>());
            int index = i;
            gauges.add(BridgeMetrics.failoverActive(registry, name, members.get(i).name(), this,
                    s -> s.active == index ? 1 : 0));
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** The name of the member sends go to now. */
    public String activeMember() {
        return members.get(active).name();
    }

    /** Starts watching the members; they are started by the bridge, like any sink. */
    @Override
    public CompletionStage<Void> start() {
        synchronized (lock) {
            if (checks == null && !closed) {
                long period = CHECK_INTERVAL.toMillis();
                checks = scheduler.scheduleWithFixedDelay(this::checkQuietly, period, period, TimeUnit.MILLISECONDS);
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        int member;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(
                        new DeliveryException(Disposition.RETRY, "failover group " + name + " is closed"));
            }
            member = active;
            open.get(member).add(result);
        }
        CompletionStage<Void> sent;
        try {
            sent = members.get(member).send(message);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((ok, error) -> onResult(member, result, error));
        return result;
    }

    private void onResult(int member, CompletableFuture<Void> result, Throwable error) {
        Throwable cause = Futures.unwrap(error);
        List<CompletableFuture<Void>> handBack = List.of();
        synchronized (lock) {
            if (!open.get(member).remove(result)) {
                return; // handed back to the pump on a switch: this late answer is not the send's
            }
            if (member == active) {
                if (cause == null) {
                    consecutiveFailures = 0;
                } else if (cause instanceof DeliveryException de && de.disposition() == Disposition.RETRY
                        && ++consecutiveFailures >= options.switchAfterFailures()) {
                    int to = firstConnectedOtherThan(member);
                    if (to >= 0) {
                        handBack = switchTo(to, Reason.FAILURES, nanoClock.getAsLong(),
                                members.get(member).isConnected());
                    }
                }
            }
        }
        if (cause == null) {
            result.complete(null);
        } else {
            result.completeExceptionally(cause);
        }
        handBack(handBack, SWITCHED);
    }

    /** Looks at the members' connections and switches if it is time. Runs every {@link #CHECK_INTERVAL}. */
    void check() {
        List<CompletableFuture<Void>> handBack = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                return;
            }
            long now = nanoClock.getAsLong();
            boolean[] connected = new boolean[members.size()];
            for (int i = 0; i < connected.length; i++) {
                connected[i] = members.get(i).isConnected();
                if (!connected[i]) {
                    connectedSince[i] = NEVER;
                } else if (connectedSince[i] == NEVER) {
                    connectedSince[i] = now;
                }
            }
            if (connected[active]) {
                activeDownSince = NEVER;
                warnedNoAlternative = false;
            } else {
                if (activeDownSince == NEVER) {
                    activeDownSince = now;
                }
                if (now - activeDownSince >= options.switchAfterDisconnected().toNanos()) {
                    int to = firstConnectedOtherThan(active);
                    if (to >= 0) {
                        handBack.addAll(switchTo(to, Reason.DISCONNECTED, now, false));
                    } else if (!warnedNoAlternative) {
                        warnedNoAlternative = true;
                        log.atWarn().addKeyValue("sink", name).addKeyValue("member", members.get(active).name())
                                .log("failover group: member {} is disconnected and no other member is connected;"
                                        + " staying with it", members.get(active).name());
                    }
                }
            }
            for (int i = 0; i < active; i++) {
                if (connectedSince[i] != NEVER && now - connectedSince[i] >= options.switchBackAfter().toNanos()) {
                    handBack.addAll(switchTo(i, Reason.SWITCH_BACK, now, connected[active]));
                    break;
                }
            }
            // Sends left on a member that is no longer active would wait for its reconnect: hand them back.
            for (int i = 0; i < connected.length; i++) {
                if (i != active && !connected[i]) {
                    handBack.addAll(drain(i));
                }
            }
        }
        handBack(handBack, SWITCHED);
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            log.atError().addKeyValue("sink", name).setCause(e).log("failover group: checking the members failed");
        }
    }

    /** The first member in order, other than {@code except}, that is connected now; -1 if none. */
    private int firstConnectedOtherThan(int except) {
        for (int i = 0; i < members.size(); i++) {
            if (i != except && members.get(i).isConnected()) {
                return i;
            }
        }
        return -1;
    }

    /** Under lock. Returns the sends to hand back to the pump. */
    private List<CompletableFuture<Void>> switchTo(int to, Reason reason, long now, boolean fromConnected) {
        int from = active;
        active = to;
        consecutiveFailures = 0;
        activeDownSince = NEVER;
        warnedNoAlternative = false;
        // The member left behind must prove itself again before the group returns to it.
        connectedSince[from] = fromConnected ? now : NEVER;
        String fromName = members.get(from).name();
        String toName = members.get(to).name();
        BridgeMetrics.failoverSwitches(registry, name, fromName, toName, reason.tag).increment();
        List<CompletableFuture<Void>> handBack = reason == Reason.SWITCH_BACK ? List.of() : drain(from);
        LoggingEventBuilder event = reason == Reason.SWITCH_BACK ? log.atInfo() : log.atWarn();
        event.addKeyValue("sink", name).addKeyValue("from", fromName).addKeyValue("to", toName)
                .addKeyValue("reason", reason.tag)
                .log("failover group switched from {} to {}: {}{}", fromName, toName, why(reason),
                        handBack.isEmpty() ? "" : "; " + handBack.size() + " open sends go to " + toName + " again");
        return handBack;
    }

    private String why(Reason reason) {
        return switch (reason) {
            case FAILURES -> options.switchAfterFailures() + " sends in a row failed";
            case DISCONNECTED -> "disconnected for " + options.switchAfterDisconnected().toMillis() + " ms";
            case SWITCH_BACK -> "connected again for " + options.switchBackAfter().toMillis() + " ms";
        };
    }

    /** Under lock: takes every send open on {@code member}, in the order they were made. */
    private List<CompletableFuture<Void>> drain(int member) {
        if (open.get(member).isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<Void>> taken = new ArrayList<>(open.get(member));
        open.get(member).clear();
        return taken;
    }

    /** Outside the lock: the pump sends these again, in this order. */
    private void handBack(List<CompletableFuture<Void>> sends, String reason) {
        for (CompletableFuture<Void> send : sends) {
            send.completeExceptionally(new DeliveryException(Disposition.RETRY, "failover group " + name + " " + reason));
        }
    }

    /** Whether any member is connected. */
    @Override
    public boolean isConnected() {
        for (Sink member : members) {
            if (member.isConnected()) {
                return true;
            }
        }
        return false;
    }

    /** Stops watching; open sends fail with RETRY. The members are closed by the bridge. Idempotent. */
    @Override
    public CompletionStage<Void> close() {
        List<CompletableFuture<Void>> handBack = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            if (checks != null) {
                checks.cancel(false);
            }
            for (int i = 0; i < members.size(); i++) {
                handBack.addAll(drain(i));
            }
        }
        handBack(handBack, "is closed");
        // A reload may create the group again: its gauges must then follow the new object.
        gauges.forEach(registry::remove);
        return CompletableFuture.completedFuture(null);
    }

}
