package io.edgebridge.core.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.Location;
import io.edgebridge.config.ProbeConfig;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.testing.ScriptedSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Readiness and probes, against a fake clock and scripted sinks that hold every send open. */
class HealthMonitorTest {

    private static final Duration WINDOW = Duration.ofSeconds(10);

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<SinkSample> samples = new ArrayList<>();
    private boolean localConnected = true;
    private Optional<String> spoolProblem = Optional.empty();
    private final HealthMonitor monitor = new HealthMonitor(() -> List.copyOf(samples), () -> localConnected,
            () -> spoolProblem, () -> WINDOW, "gw-1", new BridgeMetrics(registry), clock::get);

    @Test
    void anIdleConnectedSink_isReady_aDisconnectedOneIsNot() {
        ScriptedSink sink = new ScriptedSink("cloud");
        set(sample(sink, true, Optional.empty(), 0, 0, 0));

        assertThat(monitor.report().ready()).isTrue();

        sink.connected(false);
        HealthReport report = monitor.report();
        assertThat(report.ready()).isFalse();
        assertThat(report.failures()).containsExactly(new HealthReport.Failure("sink:cloud", "not connected"));
    }

    @Test
    void theLocalBrokerMustBeConnected() {
        set(sample(new ScriptedSink("cloud"), true, Optional.empty(), 0, 0, 0));
        localConnected = false;

        assertThat(monitor.report().failures()).extracting(HealthReport.Failure::check).containsExactly("local");
    }

    @Test
    void aSpoolThatCannotWrite_makesTheBridgeUnreadyWithItsReason_butLeavesItLive() {
        set(sample(new ScriptedSink("cloud"), true, Optional.empty(), 0, 0, 0));
        spoolProblem = Optional.of("cannot write to /var/lib/edgebridge/spool (disk full)");

        HealthReport report = monitor.report();
        assertThat(report.live()).isTrue();
        assertThat(report.failures()).containsExactly(
                new HealthReport.Failure("spool", "cannot write to /var/lib/edgebridge/spool (disk full)"));

        spoolProblem = Optional.empty();
        assertThat(monitor.report().ready()).isTrue();
    }

    @Test
    void aSinkWithWork_turnsUnreadyAfterTheWindowWithoutAnAck_andReadyAgainOnAnAck() {
        ScriptedSink sink = new ScriptedSink("cloud");
        long lastSuccess = clock.get() - 60_000; // long before the work appeared
        set(sample(sink, true, Optional.empty(), 3, 5, lastSuccess));
        monitor.tick(); // the work is seen now

        advance(WINDOW.minusSeconds(1));
        assertThat(monitor.report().ready()).as("the window counts from when the work appeared").isTrue();

        advance(Duration.ofSeconds(1));
        HealthReport stalled = monitor.report();
        assertThat(stalled.ready()).isFalse();
        assertThat(stalled.sinks().get(0).problem()).hasValueSatisfying(p -> assertThat(p)
                .startsWith("stalled: 3 sends open, 5 messages waiting and nothing acknowledged for 10 s"));

        set(sample(sink, true, Optional.empty(), 3, 5, clock.get()));
        assertThat(monitor.report().ready()).isTrue();
        assertThat(monitor.report().sinks().get(0).lastSuccess()).hasValue(clock.get());
    }

    @Test
    void steadyAcks_keepABusySinkReady() {
        ScriptedSink sink = new ScriptedSink("cloud");
        for (int i = 0; i < 30; i++) {
            set(sample(sink, true, Optional.empty(), 100, 10_000, clock.get()));
            monitor.tick();
            advance(Duration.ofSeconds(1));
        }
        assertThat(monitor.report().ready()).isTrue();
    }

    @Test
    void workThatEndsBeforeTheWindow_doesNotCountLater() {
        ScriptedSink sink = new ScriptedSink("cloud");
        set(sample(sink, true, Optional.empty(), 1, 1, 0));
        monitor.tick();
        advance(Duration.ofSeconds(5));
        set(sample(sink, true, Optional.empty(), 0, 0, clock.get()));
        monitor.tick();
        advance(Duration.ofSeconds(30));
        set(sample(sink, true, Optional.empty(), 1, 1, clock.get() - 30_000)); // new work, old success
        monitor.tick();

        assertThat(monitor.report().ready()).isTrue();
        advance(WINDOW);
        assertThat(monitor.report().ready()).isFalse();
    }

    @Test
    void anUnreadySinkThatIsNotRequired_doesNotMakeTheBridgeUnready() {
        ScriptedSink sink = new ScriptedSink("archive");
        sink.connected(false);
        set(sample(sink, false, Optional.empty(), 0, 0, 0));

        HealthReport report = monitor.report();
        assertThat(report.sinks().get(0).ready()).isFalse();
        assertThat(report.ready()).isTrue();
    }

    @Test
    void aProbe_goesOutAtOnceAndEveryIntervalWithoutASend_andItsAckProvesTheSink() {
        ScriptedSink sink = new ScriptedSink("cloud");
        Optional<ProbeConfig> probe = Optional.of(new ProbeConfig("gw/probe", Duration.ofSeconds(30)));
        set(sample(sink, true, probe, 0, 0, 0));

        monitor.tick();
        assertThat(sink.sent()).hasSize(1);
        OutboundMessage message = sink.sent().get(0);
        assertThat(message.topic()).isEqualTo("gw/probe");
        assertThat(message.qos()).isEqualTo(1);
        assertThat(new String(message.payload(), StandardCharsets.UTF_8))
                .contains("\"clientId\":\"gw-1\"", "\"sink\":\"cloud\"", "\"time\":\"");
        sink.held(0).complete(null);
        assertThat(count("ok")).isEqualTo(1);

        advance(Duration.ofSeconds(29));
        monitor.tick();
        assertThat(sink.sent()).as("no probe before the interval").hasSize(1);
        advance(Duration.ofSeconds(1));
        monitor.tick();
        assertThat(sink.sent()).hasSize(2);
        sink.held(1).complete(null);

        // A routed send that succeeds postpones the next probe.
        advance(Duration.ofSeconds(20));
        set(sample(sink, true, probe, 0, 0, clock.get()));
        advance(Duration.ofSeconds(20));
        monitor.tick();
        assertThat(sink.sent()).hasSize(2);
        HealthReport report = monitor.report();
        assertThat(report.ready()).isTrue();
        assertThat(report.sinks().get(0).probe()).hasValueSatisfying(p -> {
            assertThat(p.outstanding()).isFalse();
            assertThat(p.lastOk()).isPresent();
        });
    }

    @Test
    void aProbeNeverAcknowledged_makesTheSinkUnreadyWithinTheWindow_andIsCountedAsFailed() {
        ScriptedSink sink = new ScriptedSink("cloud");
        Optional<ProbeConfig> probe = Optional.of(new ProbeConfig("gw/probe", Duration.ofSeconds(30)));
        set(sample(sink, true, probe, 0, 0, 0));
        monitor.tick();

        advance(WINDOW.minusSeconds(1));
        monitor.tick();
        assertThat(monitor.report().ready()).isTrue();
        advance(Duration.ofSeconds(1));
        monitor.tick();
        HealthReport report = monitor.report();
        assertThat(report.ready()).isFalse();
        assertThat(report.failures().get(0).reason()).contains("a probe unanswered");

        // Given up after max(interval, window) = 30 s: counted as failed, and a new probe goes out.
        advance(Duration.ofSeconds(20));
        monitor.tick();
        assertThat(count("failed")).isEqualTo(1);
        assertThat(sink.sent()).hasSize(2);
        assertThat(monitor.report().ready()).as("still unproven").isFalse();

        sink.held(1).complete(null);
        assertThat(monitor.report().ready()).isTrue();
        assertThat(count("ok")).isEqualTo(1);
        // The first probe's late acknowledgement is not counted twice.
        sink.held(0).complete(null);
        assertThat(count("ok") + count("failed")).isEqualTo(2);
    }

    @Test
    void aRefusedProbe_isCountedAsFailed_andLeavesTheSinkUnprovenUntilOneSucceeds() {
        ScriptedSink sink = new ScriptedSink("cloud");
        Optional<ProbeConfig> probe = Optional.of(new ProbeConfig("gw/probe", Duration.ofSeconds(5)));
        set(sample(sink, true, probe, 0, 0, 0));
        monitor.tick();
        sink.held(0).completeExceptionally(
                new DeliveryException(DeliveryException.Disposition.REJECTED, "not authorized"));
        assertThat(count("failed")).isEqualTo(1);
        assertThat(monitor.report().sinks().get(0).probe().orElseThrow().lastFailure()).contains("not authorized");

        advance(Duration.ofSeconds(5));
        monitor.tick(); // the next probe, also refused
        sink.held(1).completeExceptionally(
                new DeliveryException(DeliveryException.Disposition.REJECTED, "not authorized"));
        advance(Duration.ofSeconds(5));
        assertThat(monitor.report().ready()).as("10 s since the first unanswered probe").isFalse();
    }

    @Test
    void aSinkReplacedByAReload_startsAfresh() {
        ScriptedSink old = new ScriptedSink("cloud");
        set(sample(old, true, Optional.empty(), 1, 1, 0));
        monitor.tick();
        advance(WINDOW);
        assertThat(monitor.report().ready()).isFalse();

        set(sample(new ScriptedSink("cloud"), true, Optional.empty(), 1, 1, 0));
        assertThat(monitor.report().ready()).as("the new sink's work has only just appeared").isTrue();
    }

    @Test
    void stopping_endsLivenessAndReadiness_andProbing() {
        ScriptedSink sink = new ScriptedSink("cloud");
        set(sample(sink, true, Optional.of(new ProbeConfig("p", Duration.ofSeconds(1))), 0, 0, 0));
        monitor.stop();
        monitor.tick();

        HealthReport report = monitor.report();
        assertThat(report.live()).isFalse();
        assertThat(report.ready()).isFalse();
        assertThat(report.failures()).first().isEqualTo(new HealthReport.Failure("bridge", "stopping"));
        assertThat(sink.sent()).isEmpty();
    }

    private void set(SinkSample sample) {
        samples.clear();
        samples.add(sample);
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toMillis());
    }

    private double count(String result) {
        return registry.find("edgebridge.probes").tag("result", result).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private static SinkSample sample(ScriptedSink sink, boolean required, Optional<ProbeConfig> probe, int inFlight,
            long backlog, long lastSuccess) {
        SinkConfig config = new SinkConfig(sink.name(), "fake", 100, Optional.empty(), null, Location.UNKNOWN, required, probe);
        return new SinkSample(config, sink, inFlight, backlog, lastSuccess);
    }
}
