package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.ConfigControl;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.TestCertificates;
import io.edgebridge.core.testing.TestSinkContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink's send timeout is a timer on the engine's shared scheduler: once IoT Hub answered a send,
 * its timer is cancelled, not left queued for {@code sendTimeout} per message sent.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AzureSendTimerTest {

    /** The {@code sendTimeout} of {@link AzureFixture#hubSink}. */
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(20);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    /** Records the tasks scheduled with the sink's send timeout (20 s), to see which are still waiting. */
    private static final class RecordingScheduler extends ScheduledThreadPoolExecutor {
        final List<ScheduledFuture<?>> sendTimers = new CopyOnWriteArrayList<>();

        RecordingScheduler() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            ScheduledFuture<?> f = super.schedule(command, delay, unit);
            if (unit.toMillis(delay) == SEND_TIMEOUT.toMillis()) {
                sendTimers.add(f);
            }
            return f;
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            ScheduledFuture<V> f = super.schedule(callable, delay, unit);
            if (unit.toMillis(delay) == SEND_TIMEOUT.toMillis()) {
                sendTimers.add(f);
            }
            return f;
        }
    }

    @Test
    void anAnsweredSend_cancelsItsTimeout() throws Exception {
        TestCertificates pki = TestCertificates.newCa(dir.resolve("pki"), "test-hub-ca");
        RecordingScheduler scheduler = new RecordingScheduler();
        try (var hub = new IotHubStandIn(dir.resolve("hub"), pki).start()) {
            SinkConfig config = Configs.parse("""
                    dataDir: %s
                    sinks:
                    %s
                    routes:
                      - name: telemetry
                        from: devices/<deviceId>/telemetry
                        sink: hub
                        topic: telemetry
                    """.formatted(dir.resolve("data"), AzureFixture.hubSink(hub, pki))).sinks().get("hub");
            Sink sink = new AzureIotHubSinkFactory().create(config, TestSinkContext.of(scheduler, Path.of("target", "azure-state")).withConfig(CONFIG));
            try {
                sink.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(30)).until(sink::isConnected);
                for (int i = 0; i < 3; i++) {
                    OutboundMessage message = new OutboundMessage("telemetry", "telemetry",
                            ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), 1, false, Map.of(),
                            Optional.empty(), Optional.empty(), "devices/dev1/telemetry", System.currentTimeMillis(), i);
                    sink.send(message).toCompletableFuture().get(30, TimeUnit.SECONDS);
                }
                // A timer not cancelled would still be waiting.
                assertThat(scheduler.sendTimers).as("send timers").hasSizeGreaterThanOrEqualTo(3)
                        .allSatisfy(f -> assertThat(f.isDone()).isTrue());
            } finally {
                sink.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } finally {
            scheduler.shutdownNow();
        }
    }

    /** The running configuration as the twin reads it: files' routes, nothing counted. */
    private static final ConfigControl CONFIG = new ConfigControl() {
        @Override
        public CompletionStage<RoutesChange> replaceRoutes(String source, Optional<String> routes) {
            return CompletableFuture.completedFuture(new RoutesChange(false, 1, "test", List.of("not in this test")));
        }

        @Override
        public ConfigState state() {
            return new ConfigState(1, "test", Instant.now(), Optional.empty(), Optional.empty());
        }

        @Override
        public Totals totals() {
            DirectionTotals none = new DirectionTotals(0, 0, 0, 0, 0);
            return new Totals(none, none, 0);
        }

        @Override
        public AutoCloseable onChange(Runnable listener) {
            return () -> { };
        }
    };
}
