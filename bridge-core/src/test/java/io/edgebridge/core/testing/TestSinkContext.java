package io.edgebridge.core.testing;

import io.edgebridge.core.api.ConfigControl;
import io.edgebridge.core.api.SinkContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/** A {@link SinkContext} for a sink created directly by a test, without a bridge around it. */
public record TestSinkContext(MeterRegistry meters, ScheduledExecutorService scheduler, Path stateDir,
        Optional<ConfigControl> control) implements SinkContext {

    /** Fresh meters, the given scheduler and state directory, no running configuration. */
    public static TestSinkContext of(ScheduledExecutorService scheduler, Path stateDir) {
        return new TestSinkContext(new SimpleMeterRegistry(), scheduler, stateDir, Optional.empty());
    }

    /** The same, with {@code control} as the running configuration. */
    public TestSinkContext withConfig(ConfigControl control) {
        return new TestSinkContext(meters, scheduler, stateDir, Optional.of(control));
    }

    @Override
    public ConfigControl config() {
        return control.orElseGet(SinkContext.super::config);
    }
}
