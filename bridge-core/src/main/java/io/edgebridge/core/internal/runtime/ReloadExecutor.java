package io.edgebridge.core.internal.runtime;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.core.internal.delivery.UpstreamIntake;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.reload.ReloadPlan;
import io.edgebridge.core.internal.reload.ReloadPlan.PumpChange;
import io.edgebridge.core.internal.reload.ReloadPlan.Restart;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.route.SinkRoutes;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.support.Futures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a {@link ReloadPlan} on the running bridge in the order that cannot lose a message:
 * <ol>
 * <li>added sinks start, their pumps at the spool's tail, before intake routes anything to them;
 * <li>kept sinks' pumps take the new routes (waited for), so a message spooled for a new route is
 * never read by a pump that does not know it;
 * <li>intake subscribes to new local filters, switches its route table, drops old filters;
 * <li>restarted sinks close (groups before their members) and are recreated (members first); the
 * old pump hands its cursor over when its stop completes, and the new one resumes there;
 * <li>removed sinks close; then the cursors of every sink without a pump are released.
 * </ol>
 */
final class ReloadExecutor {

    private static final Logger log = LoggerFactory.getLogger(ReloadExecutor.class);

    private final SinkRuntimes sinks;
    private final Spool spool;
    private final LocalBroker local;
    private final UpstreamIntake intake;

    ReloadExecutor(SinkRuntimes sinks, Spool spool, LocalBroker local, UpstreamIntake intake) {
        this.sinks = sinks;
        this.spool = spool;
        this.local = local;
        this.intake = intake;
    }

    /** Runs {@code plan} with the routes compiled from its effective configuration; the sinks that failed. */
    List<String> execute(ReloadPlan plan, RouteTable table) {
        BridgeConfig next = plan.effective();
        List<String> failed = new ArrayList<>();
        // 1. New sinks first: their pumps start at the spool's tail, before intake takes their routes.
        for (String name : plan.added()) {
            start(plan, name, table, failed, "could not start added sink: {}");
        }
        // 2. Kept sinks get their new routes before intake accepts messages by them.
        for (PumpChange change : plan.kept()) {
            String name = change.sink();
            SinkRuntime runtime = sinks.get(name);
            runtime.config = next.sinks().get(name);
            SinkRoutes sinkRoutes = table.upstreamFor(name);
            switch (change.action()) {
                case STOP -> sinks.stopPump(runtime);
                case TAKE_ROUTES -> await(runtime.pump.routes(sinkRoutes), name);
                case START -> sinks.startPump(runtime, sinkRoutes, spool.committed());
                case NONE -> { }
            }
        }
        // 3. Intake: subscribe to new filters, switch the route table, drop old filters.
        CompletableFuture<Void> subscribed = local.updateSubscriptions(table.intakeSubscriptions());
        intake.routes(table);
        // 4. Restarted sinks: closed (groups before their members) and recreated (members first); the
        //    new one resumes at the old one's cursor.
        List<Restart> restarted = plan.restarted();
        for (int i = restarted.size() - 1; i >= 0; i--) {
            sinks.retire(restarted.get(i).sink());
        }
        for (Restart restart : restarted) {
            start(plan, restart.sink(), table, failed, "could not restart changed sink: {}");
        }
        // 5. Removed sinks: closed (groups first); what they had not delivered is dropped and counted.
        plan.removed().forEach(sinks::retire);
        sinks.reorder(next.sinks().keySet());
        plan.released().forEach(sinks::releaseCursor);
        sinks.releaseCursorsWithoutPump(); // and those of sinks that failed to start
        try {
            subscribed.get(SinkRuntimes.SINK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.atWarn().log("local subscriptions not confirmed yet: {}", rootMessage(e));
        }
        // An added group over a restarting member may fail in step 1 and start in step 4.
        failed.removeIf(sinks.current()::containsKey);
        return failed;
    }

    private void start(ReloadPlan plan, String name, RouteTable table, List<String> failed, String message) {
        String unbuildable = plan.unbuildable().get(name);
        if (unbuildable != null) {
            failed.add(name);
            log.atError().addKeyValue("sink", name).log(message, unbuildable);
            return;
        }
        try {
            sinks.launch(plan.effective().sinks().get(name), table);
        } catch (Exception | Error e) {
            if (!failed.contains(name)) {
                failed.add(name);
            }
            log.atError().addKeyValue("sink", name).log(message, rootMessage(e));
        }
    }

    private static void await(CompletableFuture<Void> future, String sink) {
        try {
            future.get(SinkRuntimes.SINK_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.atWarn().addKeyValue("sink", sink).log("pump did not take the new routes in time: {}", rootMessage(e));
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = Futures.unwrap(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
