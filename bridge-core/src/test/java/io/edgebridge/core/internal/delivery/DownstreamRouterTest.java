package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.internal.local.Intake;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.mqtt.MqttConnectionException;
import io.edgebridge.core.internal.mqtt.PacketTooLargeException;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.LogCapture;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DownstreamRouterTest {

    /** A local broker whose publishes stay open until the test settles them (as while it is unreachable). */
    static final class HeldLocal implements LocalBroker {
        record Held(String topic, String payload, CompletableFuture<Void> future) {
        }

        final List<Held> publishes = new CopyOnWriteArrayList<>();
        final AtomicBoolean failing = new AtomicBoolean();

        @Override
        public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> p) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            publishes.add(new Held(topic, new String(payload, StandardCharsets.UTF_8), f));
            if (failing.get()) {
                f.completeExceptionally(new MqttConnectionException("not connected"));
            }
            return f;
        }

        /** Publishes neither done nor withdrawn: copies the local broker would still get. */
        long outstanding() {
            return publishes.stream().filter(h -> !h.future().isDone()).count();
        }

        long withdrawn() {
            return publishes.stream().filter(h -> h.future().isCancelled()).count();
        }

        void acknowledgeAll() {
            publishes.forEach(h -> h.future().complete(null));
        }

        @Override
        public CompletableFuture<Void> start(Intake intake, List<String> subscriptions) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> updateSubscriptions(List<String> subscriptions) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void stopIntake() {
        }

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final HeldLocal local = new HeldLocal();
    private final DownstreamRouter router = router();

    private DownstreamRouter router() {
        return routerOver(local);
    }

    private DownstreamRouter routerOver(LocalBroker broker) {
        BridgeConfig config = Configs.parse("""
                sinks:
                  cloud: { type: mqtt, uri: mqtt://127.0.0.1:1883 }
                routes:
                  - name: commands
                    direction: downstream
                    from: { sink: cloud, topic: cmd/<deviceId> }
                    to: devices/<deviceId>/commands
                """);
        BridgeMetrics metrics = new BridgeMetrics(registry);
        return new DownstreamRouter("cloud", RouteTable.compile(config, metrics).downstreamFor("cloud"), broker,
                scheduler, metrics, 3);
    }

    @AfterEach
    void stopScheduler() {
        scheduler.shutdownNow();
    }

    private static InboundMessage command(String device, String payload, String id) {
        return new InboundMessage("cmd/" + device, payload.getBytes(StandardCharsets.UTF_8), Map.of(), Optional.empty(),
                Optional.ofNullable(id));
    }

    private double count(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    @Test
    void sinkGivesUp_theLocalPublishStillWaiting_isWithdrawn() {
        CompletableFuture<Void> stage = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();
        assertThat(local.outstanding()).isEqualTo(1);

        stage.orTimeout(1, TimeUnit.MILLISECONDS); // what the Pub/Sub sink does at downstream.timeout
        await().atMost(Duration.ofSeconds(5)).until(stage::isDone);

        await().atMost(Duration.ofSeconds(5)).until(() -> local.withdrawn() == 1);
        assertThat(local.outstanding()).isZero();
    }

    /** Finding 7: each nack cycle left one more local publish queued; now one at a time. */
    @Test
    void timeoutNackRedeliverCycles_leaveOneLocalPublishOutstanding_andCountOneReceived() {
        for (int cycle = 0; cycle < 8; cycle++) {
            CompletableFuture<Void> stage = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();
            stage.completeExceptionally(new TimeoutException("downstream.timeout"));
        }
        CompletableFuture<Void> last = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();

        assertThat(local.outstanding()).as("local publishes still queued for one cloud message").isEqualTo(1);
        local.acknowledgeAll();
        assertThat(last).isCompleted();
        assertThat(count("edgebridge.messages.received", "route", "commands")).isEqualTo(1);
        assertThat(count("edgebridge.messages.redelivered", "route", "commands", "sink", "cloud")).isEqualTo(8);
        assertThat(count("edgebridge.messages.forwarded", "route", "commands")).isEqualTo(1);
    }

    @Test
    void redeliveryWhileTheFirstDeliveryIsInProgress_joinsIt_onePublish_bothStagesComplete() {
        CompletableFuture<Void> first = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();
        CompletableFuture<Void> again = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();
        CompletableFuture<Void> other = router.onMessage(command("d2", "reboot", "m2")).toCompletableFuture();

        assertThat(local.publishes).hasSize(2); // m1 once, m2 once
        local.acknowledgeAll();
        assertThat(first).isCompleted();
        assertThat(again).isCompleted();
        assertThat(other).isCompleted();
        assertThat(count("edgebridge.messages.received", "route", "commands")).isEqualTo(2);
        assertThat(count("edgebridge.messages.redelivered", "route", "commands", "sink", "cloud")).isEqualTo(1);
    }

    @Test
    void aJoinedDelivery_goesOnWhileOneOfItsStagesIsStillWanted() {
        CompletableFuture<Void> first = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();
        CompletableFuture<Void> again = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();
        first.cancel(false); // e.g. the connection it came on is gone; the redelivery still waits

        assertThat(local.withdrawn()).isZero();
        local.acknowledgeAll();
        assertThat(again).isCompleted();
    }

    /** A Pub/Sub redelivery that raced the ack of a delivered message: acknowledged again, not published again. */
    @Test
    void aLastingIdDeliveredAlready_isAcknowledgedWithoutASecondLocalCopy_andCountedRedelivered() {
        InboundMessage message = new InboundMessage("cmd/d1", "reboot".getBytes(StandardCharsets.UTF_8), Map.of(),
                Optional.empty(), Optional.of("m1"), true);
        CompletableFuture<Void> first = router.onMessage(message).toCompletableFuture();
        local.acknowledgeAll();
        assertThat(first).isCompleted();

        CompletableFuture<Void> late = router.onMessage(message).toCompletableFuture();

        assertThat(late).isCompleted();
        assertThat(local.publishes).hasSize(1);
        assertThat(count("edgebridge.messages.received", "route", "commands")).isEqualTo(1);
        assertThat(count("edgebridge.messages.redelivered", "route", "commands", "sink", "cloud")).isEqualTo(1);
    }

    /** An MQTT packet identifier is reused by the next message once acknowledged: that one is new. */
    @Test
    void aReusedIdDeliveredAlready_isANewMessage() {
        CompletableFuture<Void> first = router.onMessage(command("d1", "reboot", "7")).toCompletableFuture();
        local.acknowledgeAll();
        assertThat(first).isCompleted();

        router.onMessage(command("d1", "shutdown", "7"));

        assertThat(local.publishes).hasSize(2);
        assertThat(count("edgebridge.messages.received", "route", "commands")).isEqualTo(2);
    }

    @Test
    void messagesWithoutIdentity_areDeliveredOnceEach_evenWhenEqual() {
        router.onMessage(command("d1", "toggle", null));
        router.onMessage(command("d1", "toggle", null));
        assertThat(local.publishes).hasSize(2);
        assertThat(count("edgebridge.messages.received", "route", "commands")).isEqualTo(2);
    }

    @Test
    void failingLocalPublish_retriesEnd_whenTheSinkGivesUp() {
        local.failing.set(true);
        CompletableFuture<Void> stage = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();
        await().atMost(Duration.ofSeconds(5)).until(() -> local.publishes.size() >= 2); // retried with backoff
        stage.cancel(false);
        int attempts = local.publishes.size();
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                .until(() -> local.publishes.size() <= attempts + 1); // at most one already on its way
    }

    @Test
    void stop_failsDeliveriesInProgress_andWithdrawsTheirPublishes() {
        CompletableFuture<Void> stage = router.onMessage(command("d1", "reboot", "m1")).toCompletableFuture();
        router.stop();
        assertThat(stage).isCompletedExceptionally();
        assertThat(local.withdrawn()).isEqualTo(1);
        assertThat(router.onMessage(command("d1", "x", "m2")).toCompletableFuture()).isCompletedExceptionally();
    }

    /** Findings 7 and 8: rejections counted in the core meter (also the sink's own), one WARN line per interval. */
    @Test
    void rejections_areCountedAsInvalidTopic_andLoggedOncePerInterval() {
        try (LogCapture logs = LogCapture.start()) {
            for (int i = 0; i < 100; i++) {
                CompletableFuture<Void> stage = router.onMessage(command("%23" + i + "+", "x", "bad" + i))
                        .toCompletableFuture();
                assertThat(stage).isCompleted(); // acknowledged: it would never become valid
                router.onRejected("attribute 'deviceId' is missing");
            }
            assertThat(local.publishes).isEmpty();
            assertThat(count("edgebridge.messages.dropped", "direction", "downstream", "route", "commands", "sink",
                    "cloud", "reason", "invalid-topic")).isEqualTo(100);
            assertThat(count("edgebridge.messages.dropped", "direction", "downstream", "route", "*", "sink", "cloud",
                    "reason", "invalid-topic")).isEqualTo(100);
            assertThat(logs.count(e -> e.getLoggerName().equals(DownstreamRouter.class.getName())))
                    .as("WARN lines for 200 rejections: %s", logs.lines()).isEqualTo(1);
        }
    }

    /** A cloud message larger than the local broker takes used to be retried for ever, never acknowledged. */
    @Test
    void aMessageTheLocalBrokerCanNeverTake_isDroppedAndCountedAtOnce() throws Exception {
        FakeLocal tooSmall = new FakeLocal()
                .respondWith(p -> CompletableFuture.failedFuture(new PacketTooLargeException(300_000, 131_072)));
        routerOver(tooSmall).onMessage(new InboundMessage("cmd/d1", new byte[300_000], Map.of(), Optional.empty()))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(tooSmall.attempts).hasSize(1);
        assertThat(count("edgebridge.messages.dropped", "direction", "downstream", "reason", "refused")).isEqualTo(1);
    }
}
