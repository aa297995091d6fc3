package io.edgebridge.core.internal.reload;

import io.edgebridge.config.BridgeConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a reload does to the running bridge, computed by {@link ReloadPlanner} without touching it.
 * The lists are in the order they are carried out: {@code added} sinks start (members before
 * groups) before intake takes the new routes; {@code kept} sinks' pumps take them; {@code restarted}
 * sinks close (groups first) and are recreated (members first) after intake switched; {@code removed}
 * sinks close last (groups first).
 *
 * @param effective   the configuration that will run: the new one, with the sections that need a
 *                    restart kept at their running values
 * @param needRestart sections that changed but keep their running values until a restart
 *                    ({@code dataDir}, {@code local}, {@code spool}, {@code deadLetter}, {@code admin})
 * @param added       sinks new in the configuration
 * @param restarted   sinks closed and recreated, and why; an added failover group over a restarted
 *                    member is here too (it starts over the old member, then follows it)
 * @param removed     sinks no longer configured
 * @param kept        running sinks that keep their connection, in running order, with what their
 *                    pump does
 * @param unbuildable sinks to be started that cannot be built, with the reason; they are reported
 *                    as failed
 * @param routes      routes added, removed or changed, by name
 * @param cursors     what happens to each sink's spool cursor (sinks whose cursor is untouched and
 *                    that get none are not listed)
 */
public record ReloadPlan(BridgeConfig effective, List<String> needRestart, List<String> added,
        List<Restart> restarted, List<String> removed, List<PumpChange> kept, Map<String, String> unbuildable,
        List<RouteChange> routes, Map<String, CursorAction> cursors) {

    public ReloadPlan {
        needRestart = List.copyOf(needRestart);
        added = List.copyOf(added);
        restarted = List.copyOf(restarted);
        removed = List.copyOf(removed);
        kept = List.copyOf(kept);
        unbuildable = Collections.unmodifiableMap(new LinkedHashMap<>(unbuildable));
        routes = List.copyOf(routes);
        cursors = Collections.unmodifiableMap(new LinkedHashMap<>(cursors));
    }

    /** A sink closed and recreated; {@code because} names the keys that changed. */
    public record Restart(String sink, List<String> because) {
        public Restart {
            because = List.copyOf(because);
        }
    }

    /** A kept sink's pump: what it does with the new routes. */
    public record PumpChange(String sink, PumpAction action) {
    }

    public enum PumpAction {
        /** The pump goes on from its cursor with the new routes (it waits until it has them). */
        TAKE_ROUTES,
        /** The sink gained upstream routes: a pump starts at the spool's tail. */
        START,
        /** The sink has no upstream routes any more: its pump stops. */
        STOP,
        /** The sink had no pump and gets none. */
        NONE
    }

    /** A route added, removed or changed; {@code keys} names what changed in it. */
    public record RouteChange(String route, RouteChangeKind kind, List<String> keys) {
        public RouteChange {
            keys = List.copyOf(keys);
        }
    }

    public enum RouteChangeKind { ADDED, REMOVED, CHANGED }

    public enum CursorAction {
        /** The running pump goes on from where it is. */
        KEEP,
        /** The old pump stops and hands its position over: the new one starts at the first entry it had not done. */
        HAND_OVER,
        /** A cursor opens at the spool's tail: the sink gets what arrives from now on. */
        OPEN,
        /**
         * The cursor is deleted so it no longer holds the spool; what it had not delivered is counted
         * as dropped ({@code sink-removed}).
         */
        RELEASE
    }

    /** The restarted sinks that were configured before (the report's "changed"), in restart order. */
    public List<String> changed() {
        return restarted.stream().map(Restart::sink).filter(s -> !added.contains(s)).toList();
    }

    /** Cursors this reload releases. */
    public List<String> released() {
        return cursors.entrySet().stream().filter(e -> e.getValue() == CursorAction.RELEASE).map(Map.Entry::getKey)
                .toList();
    }

    /** Whether no sink starts, restarts or stops and no route changes. */
    public boolean changesNothing() {
        return added.isEmpty() && restarted.isEmpty() && removed.isEmpty() && routes.isEmpty()
                && kept.stream().allMatch(k -> k.action() == PumpAction.TAKE_ROUTES || k.action() == PumpAction.NONE)
                && released().isEmpty();
    }
}
