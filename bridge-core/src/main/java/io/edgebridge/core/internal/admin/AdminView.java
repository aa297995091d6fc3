package io.edgebridge.core.internal.admin;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.core.internal.health.HealthMonitor;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import java.time.Instant;

/**
 * What the admin server reads of the running bridge: all of it read-only, and nothing else (the
 * bridge implements it; the admin package does not see the bridge's lifecycle or reload).
 */
public interface AdminView {

    BridgeMetrics metrics();

    HealthMonitor health();

    Spool spool();

    /** The configuration running now. */
    BridgeConfig config();

    /** 1 for the configuration the bridge started with, incremented by every applied reload. */
    int configVersion();

    /** When the running configuration was applied. */
    Instant configLoadedAt();

    /** When the bridge finished starting. */
    Instant startedAt();
}
