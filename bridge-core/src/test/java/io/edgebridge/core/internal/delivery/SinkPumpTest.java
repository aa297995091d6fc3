package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.spool.DropReason;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.mqtt.InvalidPublishException;
import io.edgebridge.core.internal.mqtt.MqttConnectionException;
import io.edgebridge.core.internal.mqtt.PublishRejectedException;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.ScriptedSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class SinkPumpTest {

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private OneRouteSpool setting;
    private FakeLocal local;
    private Spool spool;
    private SinkPump pump;

    @BeforeEach
    void setUp() {
        setting = new OneRouteSpool(dir, registry);
        local = setting.local;
        spool = setting.spool;
    }

    @AfterEach
    void tearDown() {
        setting.close();
    }

    private void startPump(Sink sink, int maxInFlight) {
        pump = setting.pump(sink, maxInFlight, Optional.empty());
        pump.start(spool.committed());
    }

    private static ScriptedSink sink(Function<OutboundMessage, CompletableFuture<Void>> respond) {
        return new ScriptedSink("out", respond);
    }

    private void append(int n) {
        for (int i = 0; i < n; i++) {
            spool.append(System.currentTimeMillis(), 1, false, "s/" + i, ("m" + i).getBytes(StandardCharsets.UTF_8))
                    .join();
        }
    }

    private double counter(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Test
    void everyMessageIsSentOnce_andTheCursorPassesThemAll() {
        ScriptedSink sink = sink(m -> CompletableFuture.completedFuture(null));
        startPump(sink, 16);
        append(500);
        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.sent()).hasSize(500);
        assertThat(sink.topics()).contains("t/0", "t/499");
        assertThat(pump.backlog()).isZero();
        assertThat(counter("edgebridge.messages.forwarded", "route", "r", "sink", "out")).isEqualTo(500);
    }

    @Test
    void aRejectedMessage_isTriedMaxAttemptsTimes_thenDeadLettered_whileTheOthersGoThrough() {
        ScriptedSink sink = sink(m -> m.topic().equals("t/7")
                ? CompletableFuture.failedFuture(new DeliveryException(Disposition.REJECTED, "no thanks"))
                : CompletableFuture.completedFuture(null));
        startPump(sink, 4);
        append(50);
        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.attempts("t/7")).isEqualTo(3);
        assertThat(local.published).hasSize(1);
        FakeLocal.Published dead = local.published.peek();
        assertThat(dead.topic()).isEqualTo("edgebridge/dead-letter/out/r");
        assertThat(dead.properties()).containsEntry(DeadLetters.REASON, "no thanks (after 3 attempts)")
                .containsEntry(DeadLetters.SOURCE_TOPIC, "s/7")
                .containsEntry(DeadLetters.TARGET_TOPIC, "t/7");
        assertThat(new String(dead.payload(), StandardCharsets.UTF_8)).isEqualTo("m7");
        assertThat(counter("edgebridge.messages.forwarded")).isEqualTo(49);
        assertThat(counter("edgebridge.messages.deadlettered", "reason", "rejected")).isEqualTo(1);
    }

    @Test
    void aPermanentFailure_isDeadLetteredAtOnce() {
        ScriptedSink sink = sink(m -> m.topic().equals("t/3")
                ? CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT, "too big"))
                : CompletableFuture.completedFuture(null));
        startPump(sink, 4);
        append(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.attempts("t/3")).isEqualTo(1);
        assertThat(local.published).extracting(FakeLocal.Published::topic).containsExactly("edgebridge/dead-letter/out/r");
    }

    @Test
    void retryableFailures_areRetriedUntilTheyWork_neverDeadLettered() {
        AtomicInteger failuresLeft = new AtomicInteger(5);
        ScriptedSink sink = sink(m -> failuresLeft.getAndDecrement() > 0
                ? CompletableFuture.failedFuture(new DeliveryException(Disposition.RETRY, "offline"))
                : CompletableFuture.completedFuture(null));
        startPump(sink, 1);
        append(3);
        await().atMost(Duration.ofSeconds(20)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.attempts("t/0")).isEqualTo(6);
        assertThat(local.published).isEmpty();
        assertThat(counter("edgebridge.messages.failed", "reason", "retry")).isEqualTo(5);
        assertThat(counter("edgebridge.messages.forwarded")).isEqualTo(3);
    }

    /**
     * A lost connection (or a failover switch) fails every open send at once: that is one failed
     * round, paused once with the first backoff step (100 ms), not 100 failures whose backoff
     * would have reached its 30 s maximum.
     */
    @Test
    void manyOpenSendsFailingTogether_pauseThePumpOnce() {
        Map<String, CompletableFuture<Void>> open = new ConcurrentHashMap<>();
        ScriptedSink sink = sink(m -> open.computeIfAbsent(m.topic(), t -> new CompletableFuture<>()));
        startPump(sink, 100);
        append(100);
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.sendCount() == 100);

        sink.acknowledgeEach();
        open.values().forEach(f -> f.completeExceptionally(new DeliveryException(Disposition.RETRY, "connection lost")));

        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.sent()).hasSize(200);
        assertThat(counter("edgebridge.messages.failed", "reason", "retry")).isEqualTo(100);
    }

    @Test
    void atMostMaxInFlightSendsAreOpen_andTheCursorWaitsForTheOldest() {
        Map<String, CompletableFuture<Void>> open = new ConcurrentHashMap<>();
        ScriptedSink sink = sink(m -> open.computeIfAbsent(m.topic(), t -> new CompletableFuture<>()));
        startPump(sink, 8);
        long start = spool.committed();
        append(100);
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.sendCount() == 8);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> sink.sendCount() == 8);
        assertThat(pump.inFlight()).isEqualTo(8);

        open.get("t/1").complete(null); // not the oldest: the cursor must stay
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sendCount() == 9);
        assertThat(pump.cursor()).isEqualTo(start);
        open.get("t/0").complete(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> pump.cursor() == start + 2);
    }

    @Test
    void droppedEntriesTheSinkNeverSaw_areCountedAndSkipped() {
        Map<String, CompletableFuture<Void>> open = new ConcurrentHashMap<>();
        ScriptedSink sink = sink(m -> open.computeIfAbsent(m.topic(), t -> new CompletableFuture<>()));
        startPump(sink, 1);
        long start = spool.committed();
        append(10);
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sendCount() == 1);
        // The spool drops start .. start+5 while t/0 is in flight: t/1..t/5 were never handed to the sink.
        SinkPump.Unsent unsent = pump.claimDropped(start + 6);
        spool.scan(start, start + 6, e -> {
            if (unsent.contains(e.seq())) {
                pump.countDropped(e, DropReason.SPOOL_FULL);
            }
        });
        sink.acknowledgeEach();
        open.get("t/0").complete(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.topics()).doesNotContain("t/1", "t/2", "t/3", "t/4", "t/5").contains("t/0", "t/6", "t/9");
        assertThat(counter("edgebridge.messages.dropped", "reason", "spool-full", "sink", "out")).isEqualTo(5);
    }

    @Test
    void aLongRunOfEntriesForOtherSinks_doesNotStallTheReading() {
        ScriptedSink sink = sink(m -> CompletableFuture.completedFuture(null));
        long start = spool.committed();
        for (int i = 0; i < 1000; i++) {
            spool.append(System.currentTimeMillis(), 1, false, "elsewhere/" + i, new byte[1]).join();
        }
        append(1);
        pump = setting.pump(sink, 1, Optional.empty());
        pump.start(start); // a backlog four windows long (256 entries each) of entries this sink does not take

        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.topics()).containsExactly("t/0");
    }

    private static ScriptedSink failing(String topic, Disposition disposition) {
        return sink(m -> m.topic().equals(topic)
                ? CompletableFuture.failedFuture(new DeliveryException(disposition, "poison"))
                : CompletableFuture.completedFuture(null));
    }

    /** A dead letter the local broker can never take used to be retried for ever, holding back the cursor. */
    @Test
    void aDeadLetterTheLocalBrokerCanNeverTake_isCountedUndeliverable_andSkipped() {
        local.respondWith(p -> CompletableFuture.failedFuture(new InvalidPublishException("user property too long")));
        startPump(failing("t/3", Disposition.PERMANENT), 4);
        append(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(local.attempts).hasSize(1);
        assertThat(counter("edgebridge.messages.dropped", "reason", "undeliverable", "route", "r", "sink", "out"))
                .isEqualTo(1);
        assertThat(counter("edgebridge.messages.deadlettered")).isZero();
        assertThat(counter("edgebridge.messages.forwarded")).isEqualTo(9);
    }

    @Test
    void aDeadLetterTheLocalBrokerRefuses_isTriedMaxAttemptsTimes_thenCountedUndeliverable() {
        local.respondWith(p -> CompletableFuture.failedFuture(new PublishRejectedException(0x87, "NOT_AUTHORIZED")));
        startPump(failing("t/3", Disposition.PERMANENT), 4);
        append(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(local.attempts).hasSize(3);
        assertThat(counter("edgebridge.messages.dropped", "reason", "undeliverable")).isEqualTo(1);
        assertThat(counter("edgebridge.messages.forwarded")).isEqualTo(9);
    }

    @Test
    void whileTheLocalBrokerCannotBeReached_aDeadLetterIsTriedAgain_untilItIsTaken() {
        AtomicInteger failuresLeft = new AtomicInteger(4);
        local.respondWith(p -> failuresLeft.getAndDecrement() > 0
                ? CompletableFuture.failedFuture(new MqttConnectionException("link local closed"))
                : CompletableFuture.completedFuture(null));
        startPump(failing("t/3", Disposition.PERMANENT), 4);
        append(10);
        await().atMost(Duration.ofSeconds(20)).until(() -> pump.cursor() == spool.committed());
        assertThat(local.attempts).hasSize(5);
        assertThat(counter("edgebridge.messages.deadlettered", "reason", "permanent")).isEqualTo(1);
        assertThat(counter("edgebridge.messages.dropped")).isZero();
    }

    /** One dead-lettering line per route per 10 s, not one per poison message. */
    @Test
    void manyPoisonMessages_logOneDeadLetterLine_notOneEach() {
        try (LogCapture logs = LogCapture.start()) {
            startPump(sink(m -> CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT, "no"))),
                    16);
            append(100);
            await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
            assertThat(local.published).hasSize(100);
            assertThat(logs.count(e -> e.getFormattedMessage().startsWith("dead-lettering"))).isEqualTo(1);
        }
    }

    /** A sink that throws instead of failing its stage has rejected the message, like any other rejection. */
    @Test
    void aSendThatThrows_isARejection_triedMaxAttemptsTimes_thenDeadLettered() {
        ScriptedSink sink = sink(m -> {
            if (m.topic().equals("t/2")) {
                throw new IllegalStateException("boom");
            }
            return CompletableFuture.completedFuture(null);
        });
        startPump(sink, 4);
        append(5);
        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.attempts("t/2")).isEqualTo(3);
        assertThat(local.published).singleElement().extracting(FakeLocal.Published::properties)
                .satisfies(p -> assertThat(p).containsEntry(DeadLetters.REASON,
                        "IllegalStateException: boom (after 3 attempts)"));
        assertThat(counter("edgebridge.messages.deadlettered", "reason", "rejected")).isEqualTo(1);
        assertThat(counter("edgebridge.messages.forwarded")).isEqualTo(4);
    }

    /** The stop waits for the open sends: what the sink acknowledges meanwhile is passed, nothing new is sent. */
    @Test
    void aStop_waitsForTheOpenSends_andTheCursorPassesWhatIsAcknowledgedMeanwhile() throws Exception {
        ScriptedSink sink = new ScriptedSink("out"); // holds every send open
        startPump(sink, 4);
        long start = spool.committed();
        append(4);
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sendCount() == 4);

        CompletableFuture<Void> stopped = pump.stop(Duration.ofSeconds(30));
        sink.held(0).complete(null);
        sink.held(1).complete(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> pump.cursor() == start + 2);
        assertThat(stopped).isNotDone();
        sink.held(2).complete(null);
        sink.held(3).complete(null);
        stopped.get(5, TimeUnit.SECONDS);

        assertThat(pump.cursor()).isEqualTo(start + 4);
        assertThat(spool.cursor("out")).hasValue(start + 4);
        append(2);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> sink.sendCount() == 4);
    }

    /**
     * The hand-over: once the stop completed the cursor is no longer the pump's (a recreated sink starts
     * there), so a late acknowledgement leaves it where it was: a duplicate, never a loss.
     */
    @Test
    void aLateAcknowledgement_afterTheStopCompleted_neverMovesTheCursor() throws Exception {
        ScriptedSink sink = new ScriptedSink("out"); // holds every send open
        startPump(sink, 4);
        long start = spool.committed();
        append(4);
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sendCount() == 4);

        pump.stop(Duration.ofMillis(100)).get(5, TimeUnit.SECONDS);
        for (int i = 0; i < 4; i++) {
            sink.held(i).complete(null);
        }

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> pump.cursor() == start);
        assertThat(spool.cursor("out")).hasValue(start);
    }
}
