package io.edgebridge.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code local.embedded}: the HiveMQ CE broker EdgeBridge runs in-process.
 *
 * @param listeners     where the broker listens: one plain listener from the {@code address} /
 *                      {@code port} shorthand (default {@code 0.0.0.0:1883}), or {@code listeners}
 * @param dataDir       the broker's own data (sessions, retained messages); default
 *                      {@code <dataDir>/broker}
 * @param persistence   {@code file} (default) or {@code in-memory}
 * @param maxQueueSize  per-client queue limit for offline or slow subscribers (default 10000)
 * @param queueStrategy what the broker does when a client's queue is full
 * @param intake        how bridged messages leave the broker: {@code extension} (in-process,
 *                      default) or {@code mqtt} (a local MQTT session with manual acks)
 * @param auth          password authentication; empty: anonymous clients are accepted
 * @param permissions   per-client topic permissions; empty: every client may publish and
 *                      subscribe anything
 */
public record EmbeddedBrokerConfig(
        List<BrokerListener> listeners,
        Path dataDir,
        Persistence persistence,
        long maxQueueSize,
        QueueStrategy queueStrategy,
        Intake intake,
        Optional<BrokerAuth> auth,
        Optional<List<PermissionRule>> permissions) implements LocalBrokerConfig {

    public enum Persistence { FILE, IN_MEMORY }

    public enum QueueStrategy { DISCARD, DISCARD_OLDEST }

    public enum Intake { EXTENSION, MQTT }

    public EmbeddedBrokerConfig {
        listeners = List.copyOf(listeners);
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("at least one listener");
        }
        permissions = permissions.map(List::copyOf);
    }

    /** One plain listener, no authentication, no permissions: the {@code address}/{@code port} shorthand. */
    public EmbeddedBrokerConfig(String address, int port, Path dataDir, Persistence persistence, long maxQueueSize,
            QueueStrategy queueStrategy, Intake intake) {
        this(List.of(BrokerListener.plain(address, port)), dataDir, persistence, maxQueueSize, queueStrategy, intake,
                Optional.empty(), Optional.empty());
    }

    /** The first listener's address. */
    public String address() {
        return listeners.get(0).address();
    }

    /** The first listener's port. */
    public int port() {
        return listeners.get(0).port();
    }

    /** Whether the broker checks clients (authentication or permissions): the bridge's session then needs its secret. */
    public boolean secured() {
        return auth.isPresent() || permissions.isPresent();
    }
}
