package io.edgebridge.core.internal.health;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The bridge's health at one moment: live while it runs; ready when, in addition, the local broker
 * is connected, the spool can write and every required sink is ready. A spool that cannot write
 * (disk full) leaves the bridge live: it recovers by itself once a write works again, while a
 * restart would not free the disk.
 *
 * @param spoolProblem why the spool refuses new messages, while it cannot write
 */
public record HealthReport(boolean live, boolean localConnected, List<SinkHealth> sinks,
        Optional<String> spoolProblem) {

    public HealthReport {
        sinks = List.copyOf(sinks);
    }

    public boolean ready() {
        return failures().isEmpty();
    }

    /** Every failed readiness check, as {@code check → reason}, in a stable order. */
    public List<Failure> failures() {
        List<Failure> failures = new ArrayList<>();
        if (!live) {
            failures.add(new Failure("bridge", "stopping"));
        }
        if (!localConnected) {
            failures.add(new Failure("local", "the local broker is not connected"));
        }
        spoolProblem.ifPresent(problem -> failures.add(new Failure("spool", problem)));
        for (SinkHealth sink : sinks) {
            if (sink.required() && !sink.ready()) {
                failures.add(new Failure("sink:" + sink.name(), sink.problem().orElse("not ready")));
            }
        }
        return failures;
    }

    /** One failed check: {@code bridge}, {@code local}, {@code spool} or {@code sink:<name>}. */
    public record Failure(String check, String reason) {
    }
}
