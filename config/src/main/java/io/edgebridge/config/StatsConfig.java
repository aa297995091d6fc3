package io.edgebridge.config;

import java.time.Duration;

/** {@code stats}: how often the one-line stats summary is logged; zero turns it off. */
public record StatsConfig(Duration logInterval) {
}
