package io.edgebridge.config;

import java.time.Duration;

/**
 * {@code reload}: whether the running bridge watches its configuration files and applies a changed
 * configuration by itself (SIGHUP always triggers a reload).
 *
 * @param watch    check the files for changes
 * @param interval how often they are checked
 */
public record ReloadConfig(boolean watch, Duration interval) {

    public static final ReloadConfig DEFAULT = new ReloadConfig(true, Duration.ofSeconds(2));
}
