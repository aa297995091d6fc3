package io.edgebridge.config;

import java.time.Duration;

/**
 * Exponential backoff: the delay starts at {@code min}, doubles up to {@code max}, and each delay
 * is randomly shortened by up to {@code jitter} (0..1) of itself so a fleet does not reconnect in
 * lock step.
 */
public record Backoff(Duration min, Duration max, double jitter) {

    public static final Backoff DEFAULT_RECONNECT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), 0.5);
}
