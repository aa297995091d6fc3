package io.edgebridge.core.internal.health;

import java.util.ArrayList;
import java.util.List;

/**
 * The bridge's health at one moment: live while it runs; ready when, in addition, the local broker
 * is connected and every required sink is ready.
 */
public record HealthReport(boolean live, boolean localConnected, List<SinkHealth> sinks) {

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
        for (SinkHealth sink : sinks) {
            if (sink.required() && !sink.ready()) {
                failures.add(new Failure("sink:" + sink.name(), sink.problem().orElse("not ready")));
            }
        }
        return failures;
    }

    /** One failed check: {@code bridge}, {@code local} or {@code sink:<name>}. */
    public record Failure(String check, String reason) {
    }
}
