package io.edgebridge.core.internal.reload;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.DownstreamRoute;
import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.RouteConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.Target;
import io.edgebridge.config.UpstreamRoute;
import io.edgebridge.core.internal.reload.ReloadPlan.CursorAction;
import io.edgebridge.core.internal.reload.ReloadPlan.PumpAction;
import io.edgebridge.core.internal.reload.ReloadPlan.PumpChange;
import io.edgebridge.core.internal.reload.ReloadPlan.Restart;
import io.edgebridge.core.internal.reload.ReloadPlan.RouteChange;
import io.edgebridge.core.internal.reload.ReloadPlan.RouteChangeKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Compares the running configuration with a new one, record by record, and says what a reload
 * changes ({@link ReloadPlan}). A pure function: no brokers, threads or spool, so every kind of
 * change is unit-tested as a value.
 */
public final class ReloadPlanner {

    /** The restart reason for a sink whose downstream routes changed (its cloud subscriptions). */
    static final String DOWNSTREAM_ROUTES = "downstream routes";

    private ReloadPlanner() {
    }

    public static ReloadPlan plan(BridgeConfig current, BridgeConfig next, RunningState running) {
        // Keep what cannot change at run time, so status and the next diff describe what runs.
        BridgeConfig effective = new BridgeConfig(current.dataDir(), current.local(), current.spool(),
                current.deadLetter(), next.stats(), next.reload(), current.admin(), next.sinks(), next.routes(),
                next.warnings(), next.files(), next.fingerprint());

        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        Map<String, List<String>> changed = new LinkedHashMap<>();
        for (SinkConfig before : current.sinks().values()) {
            SinkConfig after = next.sinks().get(before.name());
            if (after == null) {
                removed.add(before.name());
            } else {
                List<String> because = restartReasons(current, next, before, after);
                if (!because.isEmpty()) {
                    changed.put(before.name(), because);
                }
            }
        }
        for (String name : next.sinks().keySet()) {
            if (!current.sinks().containsKey(name)) {
                added.add(name);
            }
        }
        // A failover group holds its members' sink objects: it is recreated with any of them.
        for (SinkConfig sink : next.sinks().values()) {
            if (sink.options() instanceof FailoverOptions failover && !changed.containsKey(sink.name())
                    && !added.contains(sink.name())) {
                List<String> because = restartedMembers(failover, changed.keySet());
                if (!because.isEmpty()) {
                    changed.put(sink.name(), because);
                }
            }
        }
        added = names(membersFirst(configs(added, next)));
        removed.sort(Comparator.comparing(name -> !isGroup(current.sinks().get(name))));

        Map<String, String> unbuildable = unbuildable(next, running, added, changed.keySet());
        // An added group starts over its members as they run now; one of them restarting takes the group along.
        Map<String, List<String>> restarting = new LinkedHashMap<>(changed);
        for (String name : added) {
            if (next.sinks().get(name).options() instanceof FailoverOptions failover
                    && !unbuildable.containsKey(name)) {
                List<String> because = restartedMembers(failover, changed.keySet());
                if (!because.isEmpty()) {
                    restarting.put(name, because);
                }
            }
        }
        List<Restart> restarted = membersFirst(configs(restarting.keySet(), next)).stream()
                .map(s -> new Restart(s.name(), restarting.get(s.name()))).toList();

        Set<String> upstream = upstreamSinks(effective);
        List<PumpChange> kept = new ArrayList<>();
        for (String name : running.sinks()) {
            if (added.contains(name) || changed.containsKey(name) || removed.contains(name)) {
                continue;
            }
            boolean pumping = running.pumping().contains(name);
            boolean routes = upstream.contains(name);
            kept.add(new PumpChange(name, pumping ? (routes ? PumpAction.TAKE_ROUTES : PumpAction.STOP)
                    : (routes ? PumpAction.START : PumpAction.NONE)));
        }
        Map<String, CursorAction> cursors = cursors(next, running, upstream, kept, restarting.keySet(), added,
                unbuildable);
        return new ReloadPlan(effective, needRestart(current, next), added, restarted, removed, kept, unbuildable,
                routeChanges(current, next), cursors);
    }

    /** Sections that cannot change at run time and did. */
    private static List<String> needRestart(BridgeConfig current, BridgeConfig next) {
        List<String> sections = new ArrayList<>();
        if (!current.dataDir().equals(next.dataDir())) {
            sections.add("dataDir");
        }
        if (!current.local().equals(next.local())) {
            sections.add("local");
        }
        if (!current.spool().equals(next.spool())) {
            sections.add("spool");
        }
        if (!current.deadLetter().equals(next.deadLetter())) {
            sections.add("deadLetter");
        }
        if (!current.admin().equals(next.admin())) {
            sections.add("admin");
        }
        return sections;
    }

    /** Why a sink configured before and after must be recreated; empty if it need not. */
    private static List<String> restartReasons(BridgeConfig current, BridgeConfig next, SinkConfig before,
            SinkConfig after) {
        List<String> because = new ArrayList<>();
        if (!after.sameSettings(before)) {
            List<String> keys = SettingsDiff.keys("", before, after);
            because.addAll(keys.isEmpty() ? List.of("options") : keys);
        }
        if (!sameDownstream(current, next, before.name())) {
            because.add(DOWNSTREAM_ROUTES);
        }
        return because;
    }

    private static List<String> restartedMembers(FailoverOptions group, Collection<String> restarting) {
        return group.members().stream().filter(restarting::contains).map(m -> "member " + m).toList();
    }

    /** Whether a sink's downstream routes are the same (the sink subscribes to them when it starts). */
    private static boolean sameDownstream(BridgeConfig a, BridgeConfig b, String sink) {
        List<DownstreamRoute> before = a.downstreamRoutes().stream().filter(r -> r.sink().equals(sink)).toList();
        List<DownstreamRoute> after = b.downstreamRoutes().stream().filter(r -> r.sink().equals(sink)).toList();
        if (before.size() != after.size()) {
            return false;
        }
        for (int i = 0; i < before.size(); i++) {
            DownstreamRoute x = before.get(i);
            DownstreamRoute y = after.get(i);
            boolean same = x.name().equals(y.name()) && x.from().equals(y.from())
                    && x.target().topic().equals(y.target().topic()) && x.target().payload().equals(y.target().payload())
                    && x.target().retain() == y.target().retain()
                    && x.target().properties().equals(y.target().properties());
            if (!same) {
                return false;
            }
        }
        return true;
    }

    /**
     * Sinks to start that cannot be built, with the reason the bridge would fail with: a type without
     * a factory, or a failover group with a member that will not run.
     */
    private static Map<String, String> unbuildable(BridgeConfig next, RunningState running, List<String> added,
            Set<String> changed) {
        Set<String> starting = new LinkedHashSet<>(added);
        starting.addAll(changed);
        Map<String, String> unbuildable = new LinkedHashMap<>();
        for (SinkConfig sink : membersFirst(configs(starting, next))) {
            if (sink.options() instanceof FailoverOptions failover) {
                for (String member : failover.members()) {
                    boolean runs = starting.contains(member) ? !unbuildable.containsKey(member)
                            : running.sinks().contains(member);
                    if (!runs) {
                        unbuildable.put(sink.name(), "failover group '" + sink.name() + "': member sink '" + member
                                + "' is not running");
                        break;
                    }
                }
            } else if (!running.sinkTypes().contains(sink.type())) {
                unbuildable.put(sink.name(), "no sink factory for type '" + sink.type() + "'");
            }
        }
        return unbuildable;
    }

    /**
     * Each cursor's fate. A sink that runs with upstream routes after the reload keeps its cursor (its
     * pump goes on, or a recreated pump takes the position over) or opens one at the tail; every
     * other cursor is released, so a sink that is gone, failed or has no upstream routes does not hold
     * the spool.
     */
    private static Map<String, CursorAction> cursors(BridgeConfig next, RunningState running, Set<String> upstream,
            List<PumpChange> kept, Set<String> restarting, List<String> added, Map<String, String> unbuildable) {
        Map<String, PumpAction> keptActions = kept.stream()
                .collect(Collectors.toMap(PumpChange::sink, PumpChange::action));
        Map<String, CursorAction> cursors = new LinkedHashMap<>();
        Set<String> names = new LinkedHashSet<>(next.sinks().keySet());
        names.addAll(running.cursors());
        for (String name : names) {
            boolean has = running.cursors().contains(name);
            boolean starts = (added.contains(name) || restarting.contains(name)) && !unbuildable.containsKey(name);
            PumpAction keptAction = keptActions.get(name);
            CursorAction action;
            if (starts && upstream.contains(name)) {
                action = has ? CursorAction.HAND_OVER : CursorAction.OPEN;
            } else if (keptAction == PumpAction.TAKE_ROUTES) {
                action = CursorAction.KEEP;
            } else if (keptAction == PumpAction.START) {
                action = CursorAction.OPEN;
            } else {
                action = has ? CursorAction.RELEASE : null;
            }
            if (action != null) {
                cursors.put(name, action);
            }
        }
        return cursors;
    }

    /** Sinks that are a target of at least one upstream route (they have a pump). */
    static Set<String> upstreamSinks(BridgeConfig config) {
        Set<String> sinks = new LinkedHashSet<>();
        for (UpstreamRoute route : config.upstreamRoutes()) {
            route.targets().stream().map(Target::sink).forEach(sinks::add);
        }
        return sinks;
    }

    /** Routes by name: added, removed, or changed in any key but where they are written. */
    private static List<RouteChange> routeChanges(BridgeConfig current, BridgeConfig next) {
        Map<String, RouteConfig> before = byName(current.routes());
        Map<String, RouteConfig> after = byName(next.routes());
        List<RouteChange> changes = new ArrayList<>();
        before.forEach((name, route) -> {
            RouteConfig now = after.get(name);
            if (now == null) {
                changes.add(new RouteChange(name, RouteChangeKind.REMOVED, List.of()));
            } else if (now.getClass() != route.getClass()) {
                changes.add(new RouteChange(name, RouteChangeKind.CHANGED, List.of("direction")));
            } else {
                List<String> keys = SettingsDiff.keys("", route, now);
                if (!keys.isEmpty()) {
                    changes.add(new RouteChange(name, RouteChangeKind.CHANGED, keys));
                }
            }
        });
        after.keySet().stream().filter(name -> !before.containsKey(name))
                .forEach(name -> changes.add(new RouteChange(name, RouteChangeKind.ADDED, List.of())));
        return changes;
    }

    private static Map<String, RouteConfig> byName(List<RouteConfig> routes) {
        Map<String, RouteConfig> map = new LinkedHashMap<>();
        routes.forEach(r -> map.putIfAbsent(r.name(), r));
        return map;
    }

    private static boolean isGroup(SinkConfig sink) {
        return sink.options() instanceof FailoverOptions;
    }

    /** Failover groups after the sinks they are made of (which are never groups themselves); stable. */
    public static List<SinkConfig> membersFirst(Collection<SinkConfig> sinks) {
        List<SinkConfig> ordered = new ArrayList<>(sinks);
        ordered.sort(Comparator.comparing(ReloadPlanner::isGroup));
        return ordered;
    }

    private static List<SinkConfig> configs(Collection<String> names, BridgeConfig config) {
        return names.stream().map(config.sinks()::get).filter(Objects::nonNull).toList();
    }

    private static List<String> names(List<SinkConfig> sinks) {
        return new ArrayList<>(sinks.stream().map(SinkConfig::name).toList());
    }
}
