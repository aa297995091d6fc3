package io.edgebridge.config;

import java.time.Duration;

/**
 * {@code admin}: the HTTP server for metrics, health and status.
 *
 * @param enabled     whether the server runs
 * @param address     listen address (default {@code 127.0.0.1}: private to the box)
 * @param port        listen port; {@code 0} picks a free one (tests)
 * @param readyWindow how long a sink with work may go without an acknowledged send or probe before
 *                    it counts as stalled (and the bridge as not ready)
 */
public record AdminConfig(boolean enabled, String address, int port, Duration readyWindow) {
}
