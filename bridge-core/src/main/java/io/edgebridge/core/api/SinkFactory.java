package io.edgebridge.core.api;

import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.SinkType;

/**
 * Creates sinks of one type. Implementations are found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.edgebridge.core.api.SinkFactory}); the {@link SinkType} half
 * validates a sink's options when the configuration is loaded.
 */
public interface SinkFactory extends SinkType {

    /**
     * Creates a sink from validated configuration; {@code config.options()} is what
     * {@link #parseOptions} returned. Must not connect yet (see {@link Sink#start()}).
     */
    Sink create(SinkConfig config, SinkContext context) throws Exception;
}
