package io.edgebridge.core.internal.reload;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.testing.Configs;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ReloadPlanner}: every kind of configuration change, as a table of "running configuration,
 * new configuration, plan". The plan is written compactly ({@link #describe}): what starts, restarts
 * (and why), stops; what each kept sink's pump does; which sinks cannot be built; which sections need
 * a restart; which routes change; what happens to each cursor. No brokers, no spool, no threads.
 */
class ReloadPlannerTest {

    /** The sinks of the running configuration: {@code cloud} with an upstream route, {@code out} without. */
    static final String CLOUD = """
              cloud: { type: mqtt, uri: "mqtt://127.0.0.1:1884" }
            """;
    static final String OUT = """
              out: { type: file, path: /tmp/edgebridge-plan/out.jsonl }
            """;
    static final String SPARE = """
              spare: { type: mqtt, uri: "mqtt://127.0.0.1:1885" }
            """;
    static final String TELEMETRY = """
              - { name: telemetry, from: sensors/<deviceId>/data, sink: cloud, topic: cloud/<deviceId> }
            """;
    static final String TO_SPARE = """
              - { name: backup, from: sensors/<deviceId>/data, sink: spare, topic: spare/<deviceId> }
            """;
    static final String ARCHIVE = """
              - { name: archive, from: sensors/#, sink: out, topic: archive }
            """;
    static final String COMMANDS = """
              - name: commands
                direction: downstream
                from: { sink: cloud, topic: commands/<deviceId> }
                to: devices/<deviceId>/commands
            """;
    static final String GROUP = """
              cloud:
                type: failover
                members: [primary, standby]
              primary: { type: mqtt, uri: "mqtt://127.0.0.1:1884", clientId: edgebridge-primary }
              standby: { type: mqtt, uri: "mqtt://127.0.0.1:1885", clientId: edgebridge-standby }
            """;

    static final String BASE = config(CLOUD + OUT, TELEMETRY);

    static String config(String sinks, String routes) {
        return config("", sinks, routes);
    }

    /** {@code top}: sections before {@code sinks} (local, spool, admin, ...), or empty for the defaults. */
    static String config(String top, String sinks, String routes) {
        String local = top.contains("local:") ? "" : """
                local:
                  embedded: { address: 127.0.0.1, port: 1883, persistence: in-memory }
                """;
        return "dataDir: /tmp/edgebridge-plan\n" + local + top + "sinks:\n" + sinks
                + (routes.isEmpty() ? "" : "routes:\n" + routes);
    }

    /** What runs differs from what the running configuration alone implies. */
    record Running(UnaryOperator<RunningState> change) {
        static final Running AS_CONFIGURED = new Running(UnaryOperator.identity());
    }

    static Stream<Arguments> changes() {
        return Stream.of(
                row("nothing changed", BASE, BASE,
                        "kept=[cloud:TAKE_ROUTES, out:NONE] cursors={cloud=KEEP}"),
                row("route target changed", BASE,
                        config(CLOUD + OUT, TELEMETRY.replace("topic: cloud/", "topic: cloud/v2/")),
                        "kept=[cloud:TAKE_ROUTES, out:NONE] routes=[telemetry CHANGED [targets[0].topic]]"
                                + " cursors={cloud=KEEP}"),
                row("route source filter changed", BASE,
                        config(CLOUD + OUT, TELEMETRY.replace("sensors/<deviceId>/data", "sensors/<deviceId>/#")),
                        "kept=[cloud:TAKE_ROUTES, out:NONE] routes=[telemetry CHANGED [from]] cursors={cloud=KEEP}"),
                row("route added: a sink without a pump gets one at the spool's tail", BASE,
                        config(CLOUD + OUT, TELEMETRY + ARCHIVE),
                        "kept=[cloud:TAKE_ROUTES, out:START] routes=[archive ADDED []]"
                                + " cursors={cloud=KEEP, out=OPEN}"),
                row("route removed: the sink's pump stops and its cursor is released",
                        config(CLOUD + OUT, TELEMETRY + ARCHIVE), config(CLOUD + OUT, ARCHIVE),
                        "kept=[cloud:STOP, out:TAKE_ROUTES] routes=[telemetry REMOVED []]"
                                + " cursors={cloud=RELEASE, out=KEEP}"),
                row("route moved to another sink", BASE,
                        config(CLOUD + OUT, TELEMETRY.replace("sink: cloud", "sink: out")),
                        "kept=[cloud:STOP, out:START] routes=[telemetry CHANGED [targets[0].sink]]"
                                + " cursors={cloud=RELEASE, out=OPEN}"),
                row("sink key changed (maxInFlight): recreated, resuming at its cursor", BASE,
                        config(CLOUD.replace(" }", ", maxInFlight: 999 }") + OUT, TELEMETRY),
                        "restarted=[cloud(maxInFlight)] kept=[out:NONE] cursors={cloud=HAND_OVER}"),
                row("sink key changed (clientId)", BASE,
                        config(CLOUD.replace(" }", ", clientId: edgebridge-cloud-b }") + OUT, TELEMETRY),
                        "restarted=[cloud(options.endpoint.clientId)] kept=[out:NONE] cursors={cloud=HAND_OVER}"),
                row("rate limit changed", BASE,
                        config(CLOUD.replace(" }", ", rateLimit: { messages: 100 } }") + OUT, TELEMETRY),
                        "restarted=[cloud(rateLimit)] kept=[out:NONE] cursors={cloud=HAND_OVER}"),
                row("sink added with a route: starts at the spool's tail", BASE,
                        config(CLOUD + OUT + SPARE, TELEMETRY + TO_SPARE),
                        "added=[spare] kept=[cloud:TAKE_ROUTES, out:NONE] routes=[backup ADDED []]"
                                + " cursors={cloud=KEEP, spare=OPEN}"),
                row("sink removed (with a backlog or without: the plan is the same): its cursor is released",
                        config(CLOUD + OUT + SPARE, TELEMETRY + TO_SPARE), BASE,
                        "removed=[spare] kept=[cloud:TAKE_ROUTES, out:NONE] routes=[backup REMOVED []]"
                                + " cursors={cloud=KEEP, spare=RELEASE}"),
                row("sink removed without upstream routes: no cursor to release", BASE, config(CLOUD, TELEMETRY),
                        "removed=[out] kept=[cloud:TAKE_ROUTES] cursors={cloud=KEEP}"),
                row("sink replaced by a failover group: members first, the group takes the cursor over", BASE,
                        config(GROUP + OUT, TELEMETRY),
                        "added=[primary, standby] restarted=[cloud(type, options)] kept=[out:NONE]"
                                + " cursors={cloud=HAND_OVER}"),
                row("failover member changed: the group is recreated over the new member", config(GROUP, TELEMETRY),
                        config(GROUP.replace("edgebridge-primary }", "edgebridge-primary, maxInFlight: 500 }"),
                                TELEMETRY),
                        "restarted=[primary(maxInFlight), cloud(member primary)] kept=[standby:NONE]"
                                + " cursors={cloud=HAND_OVER}"),
                row("failover group added over a member that changes too: it follows the member",
                        config(CLOUD + OUT, TELEMETRY),
                        config(CLOUD.replace(" }", ", maxInFlight: 999 }") + OUT + """
                                  pair:
                                    type: failover
                                    members: [cloud, out]
                                """, TELEMETRY + """
                                  - { name: paired, from: paired/#, sink: pair, topic: paired }
                                """),
                        "added=[pair] restarted=[cloud(maxInFlight), pair(member cloud)] kept=[out:NONE]"
                                + " routes=[paired ADDED []] cursors={cloud=HAND_OVER, pair=OPEN}"),
                row("downstream route changed: the sink resubscribes", config(CLOUD + OUT, TELEMETRY + COMMANDS),
                        config(CLOUD + OUT,
                                TELEMETRY + COMMANDS.replace("devices/<deviceId>/commands", "dev/<deviceId>/cmd")),
                        "restarted=[cloud(downstream routes)] kept=[out:NONE] routes=[commands CHANGED [target.topic]]"
                                + " cursors={cloud=HAND_OVER}"),
                row("downstream route added", BASE, config(CLOUD + OUT, TELEMETRY + COMMANDS),
                        "restarted=[cloud(downstream routes)] kept=[out:NONE] routes=[commands ADDED []]"
                                + " cursors={cloud=HAND_OVER}"),
                row("local broker setting changed: needs a restart, the running value is kept", BASE,
                        config("""
                                local:
                                  embedded: { address: 127.0.0.1, port: 1999, persistence: in-memory }
                                """, CLOUD + OUT, TELEMETRY),
                        "kept=[cloud:TAKE_ROUTES, out:NONE] needRestart=[local] cursors={cloud=KEEP}"),
                row("spool and admin settings changed: need a restart", BASE,
                        config("""
                                spool: { maxBytes: 2MB }
                                admin: { port: 9999 }
                                """, CLOUD + OUT, TELEMETRY),
                        "kept=[cloud:TAKE_ROUTES, out:NONE] needRestart=[spool, admin] cursors={cloud=KEEP}"),
                row("added sink of a type without a factory: fails, and so does a group over it", BASE,
                        config(CLOUD + OUT + SPARE + """
                                  both:
                                    type: failover
                                    members: [spare, out]
                                """, TELEMETRY + TO_SPARE),
                        new Running(r -> types(r, "file")),
                        "added=[spare, both] kept=[cloud:TAKE_ROUTES, out:NONE] unbuildable={spare=no sink factory for"
                                + " type 'mqtt', both=failover group 'both': member sink 'spare' is not running}"
                                + " routes=[backup ADDED []] cursors={cloud=KEEP}"),
                row("a sink that failed to start before and is unchanged stays down; its stale cursor goes", BASE, BASE,
                        new Running(r -> new RunningState(List.of("out"), Set.of(), Set.of("cloud"), r.sinkTypes())),
                        "kept=[out:NONE] cursors={cloud=RELEASE}"),
                row("a cursor left by a sink of an earlier run is released", BASE, BASE,
                        new Running(r -> new RunningState(r.sinks(), r.pumping(), Set.of("cloud", "gone"),
                                r.sinkTypes())),
                        "kept=[cloud:TAKE_ROUTES, out:NONE] cursors={cloud=KEEP, gone=RELEASE}"),
                row("several at once", config(CLOUD + OUT + SPARE, TELEMETRY + TO_SPARE),
                        config("""
                                local:
                                  embedded: { address: 127.0.0.1, port: 1999, persistence: in-memory }
                                """, CLOUD.replace(" }", ", maxInFlight: 7 }") + OUT.replace("out.jsonl", "new.jsonl")
                                + """
                                  extra: { type: file, path: /tmp/edgebridge-plan/extra.jsonl }
                                """, TELEMETRY.replace("cloud/<deviceId>", "cloud/v3/<deviceId>")
                                + ARCHIVE.replace("sink: out", "sink: extra")),
                        "added=[extra] restarted=[cloud(maxInFlight), out(options.path)] removed=[spare]"
                                + " needRestart=[local]"
                                + " routes=[telemetry CHANGED [targets[0].topic], backup REMOVED [],"
                                + " archive ADDED []] cursors={cloud=HAND_OVER, extra=OPEN, spare=RELEASE}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void plan_describesEveryKindOfChange(String change, String before, String after, Running running,
            String expected) {
        BridgeConfig current = Configs.parse(before);
        RunningState state = running.change().apply(runningAsConfigured(current));

        ReloadPlan plan = ReloadPlanner.plan(current, Configs.parse(after), state);

        assertThat(describe(plan)).isEqualTo(expected);
    }

    @Test
    void nothingChanged_changesNothing() {
        BridgeConfig config = Configs.parse(BASE);

        assertThat(ReloadPlanner.plan(config, Configs.parse(BASE), runningAsConfigured(config)).changesNothing())
                .isTrue();
        assertThat(ReloadPlanner.plan(config, Configs.parse(config(CLOUD, TELEMETRY)), runningAsConfigured(config))
                .changesNothing()).isFalse();
    }

    @Test
    void restartOnlySections_keepTheirRunningValues_theRestIsTheNewConfiguration() {
        BridgeConfig current = Configs.parse(BASE);
        BridgeConfig next = Configs.parse(config("""
                local:
                  embedded: { address: 127.0.0.1, port: 1999, persistence: in-memory }
                spool: { maxBytes: 2MB }
                stats: { logInterval: 5s }
                """, CLOUD + OUT + SPARE, TELEMETRY + TO_SPARE));

        ReloadPlan plan = ReloadPlanner.plan(current, next, runningAsConfigured(current));

        assertThat(plan.effective().local()).isEqualTo(current.local());
        assertThat(plan.effective().spool()).isEqualTo(current.spool());
        assertThat(plan.effective().stats()).isEqualTo(next.stats());
        assertThat(plan.effective().sinks()).isEqualTo(next.sinks());
        assertThat(plan.effective().routes()).isEqualTo(next.routes());
        assertThat(plan.effective().fingerprint()).isEqualTo(next.fingerprint());
    }

    @Test
    void changed_isWhatRestartsButWasConfiguredBefore_membersFirst() {
        BridgeConfig current = Configs.parse(config(CLOUD + OUT, TELEMETRY));
        BridgeConfig next = Configs.parse(config(CLOUD.replace(" }", ", maxInFlight: 999 }") + OUT + """
                  pair:
                    type: failover
                    members: [cloud, out]
                """, TELEMETRY));

        ReloadPlan plan = ReloadPlanner.plan(current, next, runningAsConfigured(current));

        assertThat(plan.changed()).containsExactly("cloud");
        assertThat(plan.added()).containsExactly("pair");
    }

    @Test
    void removedGroups_closeBeforeTheirMembers() {
        BridgeConfig current = Configs.parse(config(GROUP + OUT, TELEMETRY));
        BridgeConfig next = Configs.parse(config(OUT, ARCHIVE));

        ReloadPlan plan = ReloadPlanner.plan(current, next, runningAsConfigured(current));

        assertThat(plan.removed()).containsExactly("cloud", "primary", "standby");
        assertThat(plan.released()).containsExactly("cloud");
    }

    private static Arguments row(String change, String before, String after, String expected) {
        return row(change, before, after, Running.AS_CONFIGURED, expected);
    }

    private static Arguments row(String change, String before, String after, Running running, String expected) {
        return Arguments.of(change, before, after, running, expected);
    }

    /** What runs after a start with {@code config}: every sink, pumps for those with upstream routes. */
    static RunningState runningAsConfigured(BridgeConfig config) {
        Set<String> pumping = ReloadPlanner.upstreamSinks(config);
        List<String> sinks = ReloadPlanner.membersFirst(config.sinks().values()).stream().map(SinkConfig::name)
                .toList();
        return new RunningState(sinks, pumping, pumping, Set.of("mqtt", "file"));
    }

    private static RunningState types(RunningState running, String... types) {
        return new RunningState(running.sinks(), running.pumping(), running.cursors(), new HashSet<>(List.of(types)));
    }

    /** The plan in one line; empty parts left out. */
    static String describe(ReloadPlan plan) {
        List<String> parts = new ArrayList<>();
        part(parts, "added", plan.added());
        part(parts, "restarted", plan.restarted().stream()
                .map(r -> r.sink() + "(" + String.join(", ", r.because()) + ")").toList());
        part(parts, "removed", plan.removed());
        part(parts, "kept", plan.kept().stream().map(k -> k.sink() + ":" + k.action()).toList());
        if (!plan.unbuildable().isEmpty()) {
            parts.add("unbuildable=" + plan.unbuildable());
        }
        part(parts, "needRestart", plan.needRestart());
        part(parts, "routes", plan.routes().stream().map(r -> r.route() + " " + r.kind() + " " + r.keys()).toList());
        if (!plan.cursors().isEmpty()) {
            parts.add("cursors=" + plan.cursors());
        }
        return String.join(" ", parts);
    }

    private static void part(List<String> parts, String name, List<String> values) {
        if (!values.isEmpty()) {
            parts.add(name + "=" + values);
        }
    }
}
