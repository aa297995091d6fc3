package io.edgebridge.core.internal;

import io.edgebridge.core.api.ConfigControl;
import io.edgebridge.core.api.SinkContext;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;

/** The engine's {@link SinkContext}. */
record BridgeSinkContext(MeterRegistry meters, ScheduledExecutorService scheduler, Path stateDir,
        ConfigControl config)
        implements SinkContext {
}
