package io.edgebridge.config;

import java.nio.file.Path;

/**
 * {@code local.embedded}: the HiveMQ CE broker EdgeBridge runs in-process.
 *
 * @param address       listen address (default {@code 0.0.0.0})
 * @param port          listen port (default 1883)
 * @param dataDir       the broker's own data (sessions, retained messages); default
 *                      {@code <dataDir>/broker}
 * @param persistence   {@code file} (default) or {@code in-memory}
 * @param maxQueueSize  per-client queue limit for offline or slow subscribers (default 10000)
 * @param queueStrategy what the broker does when a client's queue is full
 * @param intake        how bridged messages leave the broker: {@code extension} (in-process,
 *                      default) or {@code mqtt} (a local MQTT session with manual acks)
 */
public record EmbeddedBrokerConfig(
        String address,
        int port,
        Path dataDir,
        Persistence persistence,
        long maxQueueSize,
        QueueStrategy queueStrategy,
        Intake intake) implements LocalBrokerConfig {

    public enum Persistence { FILE, IN_MEMORY }

    public enum QueueStrategy { DISCARD, DISCARD_OLDEST }

    public enum Intake { EXTENSION, MQTT }
}
