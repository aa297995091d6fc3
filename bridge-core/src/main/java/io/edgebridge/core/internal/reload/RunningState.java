package io.edgebridge.core.internal.reload;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@link ReloadPlanner} needs to know of the running bridge besides its configuration.
 *
 * @param sinks     the sinks running now, in running order (a sink that failed to start is not here)
 * @param pumping   the running sinks that have a pump (they have upstream routes)
 * @param cursors   the cursors the spool holds
 * @param sinkTypes the sink types that can be built (a factory is on the class path)
 */
public record RunningState(List<String> sinks, Set<String> pumping, Set<String> cursors, Set<String> sinkTypes) {

    public RunningState {
        sinks = List.copyOf(sinks);
        pumping = Set.copyOf(pumping);
        cursors = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(cursors));
        sinkTypes = Set.copyOf(sinkTypes);
    }
}
