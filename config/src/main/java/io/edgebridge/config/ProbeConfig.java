package io.edgebridge.config;

import java.time.Duration;

/**
 * A sink's {@code probe}: a small message sent to {@code topic} at the sink whenever no send
 * completed for {@code interval}, so an idle sink is still proven to accept messages.
 */
public record ProbeConfig(String topic, Duration interval) {
}
