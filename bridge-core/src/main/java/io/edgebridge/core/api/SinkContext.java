package io.edgebridge.core.api;

import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;

/** What the engine gives a sink: shared scheduler, meters, and a directory for its own state. */
public interface SinkContext {

    /** Meter registry; sink-specific meters should carry the tag {@code sink=<name>}. */
    MeterRegistry meters();

    /** A shared scheduler for timers; tasks must be short and must not block. */
    ScheduledExecutorService scheduler();

    /** A directory the sink may keep state in (created on demand by the sink). */
    Path stateDir();

    /**
     * The running configuration, for sinks a cloud manages the bridge through. Contexts made
     * outside a running bridge (tests, tools) have none.
     */
    default ConfigControl config() {
        throw new UnsupportedOperationException("no running configuration in this context");
    }
}
