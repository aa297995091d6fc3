package io.edgebridge.core.internal.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.Direction;
import io.edgebridge.core.testing.LogCapture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class BridgeMetricsTest {

    @Test
    void latency_registeredAgainForTheSameRouteAndSink_reusesItsMetersWithoutAWarning() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        BridgeMetrics metrics = new BridgeMetrics(registry);
        try (LogCapture logs = LogCapture.start()) {
            var first = metrics.latency(Direction.UPSTREAM, "telemetry", "cloud");
            var again = metrics.latency(Direction.UPSTREAM, "telemetry", "cloud"); // a reload compiles routes again

            assertThat(again).isSameAs(first);
            assertThat(registry.find(BridgeMeter.LATENCY_PERCENTILE.meterName()).gauges()).hasSize(3);
            assertThat(logs.lines()).isEmpty();
        }
    }
}
