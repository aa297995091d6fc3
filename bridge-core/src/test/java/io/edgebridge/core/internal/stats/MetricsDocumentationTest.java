package io.edgebridge.core.internal.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.Direction;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code docs/METRICS.md} documents every {@link BridgeMeter} under the name Prometheus shows, with
 * its type and tags: each meter is registered the way the bridge registers it, scraped, and looked
 * up in the document.
 */
class MetricsDocumentationTest {

    private static final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private static PrometheusText scraped;
    private static List<String> doc;

    @BeforeAll
    static void registerEveryMeter() throws IOException {
        BridgeMetrics metrics = new BridgeMetrics(registry);
        for (BridgeMeter meter : BridgeMeter.values()) {
            register(metrics, meter);
        }
        scraped = PrometheusText.parse(registry.scrape());
        doc = Files.readAllLines(Path.of("..", "docs", "METRICS.md"));
    }

    /** As the bridge registers it; a new constant must be added here (and to the docs). */
    private static void register(BridgeMetrics metrics, BridgeMeter meter) {
        Direction up = Direction.UPSTREAM;
        switch (meter) {
            case RECEIVED -> metrics.received(up, "r");
            case FORWARDED -> metrics.forwarded(up, "r", "s");
            case FORWARDED_BYTES -> metrics.forwardedBytes(up, "r", "s");
            case FAILED -> metrics.failed(up, "r", "s", "retry");
            case DROPPED -> metrics.dropped(up, "r", "s", "expired");
            case DEAD_LETTERED -> metrics.deadLettered(up, "r", "s", "permanent");
            case LATENCY, LATENCY_PERCENTILE -> metrics.latency(up, "r", "s");
            case PROBES -> metrics.probes("s", true);
            case IN_FLIGHT, BACKLOG, CONNECTED -> metrics.sinkGauge(meter, "s", meter, m -> 0);
            case LOCAL_CONNECTED, SPOOL_ENTRIES, SPOOL_BYTES, SPOOL_WRITABLE, LOCAL_INTAKE_BACKLOG,
                    LOCAL_BROKER_DROPPED -> metrics.gauge(meter, () -> 0);
            case SPOOL_WRITE_FAILURES -> metrics.functionCounter(meter, meter, m -> 0);
            case FAILOVER_ACTIVE -> BridgeMetrics.failoverActive(registry, "g", "m", meter, m -> 1);
            case FAILOVER_SWITCHES -> BridgeMetrics.failoverSwitches(registry, "g", "a", "b", "failures");
            case LOCAL_REFUSED -> metrics.localRefused("publish", "not-authorized");
            case LOCAL_DROPPED -> metrics.localDropped("queue-full");
            case RATE_LIMITED -> metrics.rateLimited("s");
            case ADMIN_CLOSED -> metrics.adminClosed("limit");
            case REDELIVERED -> metrics.redelivered("r", "s");
            default -> throw new AssertionError("register " + meter + " here as the bridge does, and document it");
        }
    }

    @ParameterizedTest
    @EnumSource(BridgeMeter.class)
    void everyMeter_isInMetricsMd_underItsPrometheusName_withItsTypeAndTags(BridgeMeter meter) {
        String name = prometheusName(meter);
        String type = scraped.types().get(name);

        Optional<String> row = doc.stream().filter(line -> line.startsWith("| `" + name + "`")).findFirst();
        assertThat(row).as("a row for %s (%s) in docs/METRICS.md", meter, name).isPresent();
        assertThat(row.get()).contains("| " + type + " |").contains(meter.unit());
        for (String tag : meter.tagKeys()) {
            assertThat(row.get()).as("tags of %s", name).contains("`" + tag + "`");
        }
    }

    @ParameterizedTest
    @EnumSource(BridgeMeter.class)
    void everyMeter_carriesItsDeclaredTags(BridgeMeter meter) {
        String name = prometheusName(meter);
        assertThat(scraped.samples()).filteredOn(s -> s.name().startsWith(name))
                .allSatisfy(s -> assertThat(s.labels().keySet()).containsAll(meter.tagKeys()));
    }

    /** The TYPE'd family the meter's samples appear under. */
    private static String prometheusName(BridgeMeter meter) {
        String base = meter.meterName().replace('.', '_');
        List<String> candidates = new ArrayList<>();
        for (Map.Entry<String, String> e : scraped.types().entrySet()) {
            if (e.getKey().startsWith(base) && !e.getKey().endsWith("_max")
                    && scraped.samples().stream().anyMatch(s -> s.name().startsWith(e.getKey()))) {
                candidates.add(e.getKey());
            }
        }
        candidates.sort((a, b) -> a.length() - b.length());
        assertThat(candidates).as("Prometheus families of %s", meter).isNotEmpty();
        return candidates.get(0);
    }
}
