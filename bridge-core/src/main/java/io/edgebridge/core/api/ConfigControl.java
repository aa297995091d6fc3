package io.edgebridge.core.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * What a sink may see and change of the running configuration: a cloud that manages the bridge
 * (an Azure module twin) replaces its routes and reports what runs. Thread-safe; nothing blocks.
 */
public interface ConfigControl {

    /**
     * Replaces the routes of the configuration files with {@code routes}: a YAML or JSON document
     * with the single key {@code routes} (a list of routes, or a mapping from route name to route),
     * read without {@code ${...}} substitution and validated against the running sinks. Empty
     * goes back to the files' routes. The replacement stays in force across reloads of the files
     * until replaced again. Completes once the change is applied, or refused with its problems
     * (the running configuration then keeps working); never exceptionally for invalid routes.
     *
     * @param source names the routes in problems and logs, e.g. {@code twin of sink hub}
     */
    CompletionStage<RoutesChange> replaceRoutes(String source, Optional<String> routes);

    /** The configuration running now. */
    ConfigState state();

    /** What the bridge has done since it started. */
    Totals totals();

    /**
     * Calls {@code listener} after each change of the running configuration (file reload or
     * {@link #replaceRoutes}); it must be quick. Returns what unregisters it.
     */
    AutoCloseable onChange(Runnable listener);

    /**
     * The outcome of {@link #replaceRoutes}.
     *
     * @param accepted    whether the routes run now (also when they were already running)
     * @param version     the configuration version running afterwards
     * @param fingerprint its fingerprint (changes with the routes)
     * @param problems    why it was refused, each {@code source:line:col: key.path: message}
     */
    record RoutesChange(boolean accepted, int version, String fingerprint, List<String> problems) {
        public RoutesChange {
            problems = List.copyOf(problems);
        }
    }

    /**
     * @param version      counts configurations applied since start (1 = the one started with)
     * @param fingerprint  short hash of the files' text and any replacement routes
     * @param loadedAt     when this version became active
     * @param routesSource where the routes come from when not from the files
     * @param lastError    the last refused change (file or routes), until one is accepted
     */
    record ConfigState(int version, String fingerprint, Instant loadedAt, Optional<String> routesSource,
            Optional<String> lastError) {
    }

    /** Counts since start, per direction, and the messages waiting in the spool. */
    record Totals(DirectionTotals upstream, DirectionTotals downstream, long spooled) {
    }

    /** Message counts of one direction, summed over routes and sinks. */
    record DirectionTotals(long received, long forwarded, long failed, long dropped, long deadLettered) {
    }
}
