package io.edgebridge.config.internal;

import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.Location;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.SinkType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A sink of {@code type: failover}: its keys are read with the other sinks; its members are checked
 * once every sink is defined (a member may be defined after the group, or in another file), and
 * the group then gets a {@link FailoverGroupType} made from its members' types, so routes that
 * name the group are checked against what every member accepts.
 */
final class FailoverReader {

    static final String MEMBERS = "members";
    static final String SWITCH_AFTER_FAILURES = "switchAfterFailures";
    static final String SWITCH_AFTER_DISCONNECTED = "switchAfterDisconnected";
    static final String SWITCH_BACK_AFTER = "switchBackAfter";
    private static final Set<String> KEYS = Set.of(SinkReader.TYPE, SinkReader.MAX_IN_FLIGHT, MEMBERS,
            SWITCH_AFTER_FAILURES, SWITCH_AFTER_DISCONNECTED, SWITCH_BACK_AFTER);

    /** A group as written, until its members can be checked. */
    record Group(String name, NodeMap map, List<Scalar> members) {
    }

    private FailoverReader() {
    }

    static SinkConfig read(String name, NodeMap m, int maxInFlight, SinkCatalog catalog) {
        m.checkKeys(KEYS);
        List<Scalar> members = List.of();
        if (!m.has(MEMBERS)) {
            m.problem(MEMBERS, "a failover group needs 'members': the sinks to use, in order of preference,"
                    + " like [primary, secondary]");
        } else {
            members = m.scalarItems(MEMBERS);
        }
        int failures = m.integer(SWITCH_AFTER_FAILURES, 3, 1, 1000);
        Duration disconnected = m.duration(SWITCH_AFTER_DISCONNECTED, Duration.ofSeconds(5), Duration.ZERO,
                Duration.ofHours(1));
        Duration back = m.duration(SWITCH_BACK_AFTER, Duration.ofSeconds(30), Duration.ZERO, Duration.ofDays(1));
        catalog.defineGroup(new Group(name, m, members));
        List<String> names = members.stream().map(Scalar::text).toList();
        return new SinkConfig(name, FailoverOptions.TYPE, maxInFlight,
                new FailoverOptions(names, failures, disconnected, back), m.location());
    }

    /** Checks every group's members and gives each group the type its members make up. */
    static void resolve(SinkCatalog catalog) {
        for (Group group : catalog.groups().values()) {
            resolve(group, catalog).ifPresent(type -> catalog.redefine(
                    new SinkCatalog.DefinedSink(group.name(), Optional.of(type), group.map().location())));
        }
    }

    /** The group's type, or empty when a member's type is not known (routes are then checked loosely). */
    private static Optional<SinkType> resolve(Group group, SinkCatalog catalog) {
        NodeMap m = group.map();
        // A member that is not a single value was reported already; so was a 'members' that is not a list.
        if (m.node(MEMBERS).filter(SequenceNode.class::isInstance).isPresent() && group.members().size() < 2) {
            m.problem(MEMBERS, "a failover group needs at least two members, in order of preference");
        }
        List<SinkType> types = new ArrayList<>();
        boolean allKnown = true;
        Set<String> seen = new HashSet<>();
        for (Scalar member : group.members()) {
            String name = member.text();
            Location at = member.location();
            if (!seen.add(name)) {
                m.problemAt(at, "sink '" + name + "' is listed twice in failover group '" + group.name() + "'");
                continue;
            }
            if (name.equals(group.name())) {
                m.problemAt(at, "failover group '" + name + "' cannot be a member of itself");
                allKnown = false;
                continue;
            }
            if (catalog.groups().containsKey(name)) {
                m.problemAt(at, "sink '" + name + "' is itself a failover group; list its members instead"
                        + " (groups cannot be nested)");
                allKnown = false;
                continue;
            }
            Optional<SinkCatalog.DefinedSink> sink = catalog.sink(name);
            if (sink.isEmpty()) {
                allKnown = false;
                if (catalog.complete()) {
                    List<String> candidates = catalog.sinks().stream().map(SinkCatalog.DefinedSink::name)
                            .filter(n -> !catalog.groups().containsKey(n)).toList();
                    String shown = member.sensitive() ? member.shown() : "'" + name + "'";
                    String suggestion = member.sensitive() ? "" : Suggestions.didYouMean(name, candidates);
                    m.problemAt(at, "unknown sink " + shown + " in failover group '" + group.name() + "'" + suggestion
                            + (suggestion.isEmpty() && !candidates.isEmpty()
                                    ? "; defined sinks: " + Suggestions.list(candidates) : ""));
                }
                continue;
            }
            if (sink.get().type().isEmpty()) {
                allKnown = false; // missing or unknown type: already reported
                continue;
            }
            types.add(sink.get().type().get());
        }
        if (!allKnown || types.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new FailoverGroupType(group.name(), types));
    }
}
