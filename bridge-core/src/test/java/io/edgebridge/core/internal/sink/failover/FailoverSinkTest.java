package io.edgebridge.core.internal.sink.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.FailoverOptions;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.testing.ScriptedSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The failover group over scripted members, with a clock the test moves. */
@Timeout(30)
class FailoverSinkTest {

    private static final FailoverOptions OPTIONS = new FailoverOptions(List.of("primary", "secondary", "tertiary"), 3,
            Duration.ofSeconds(5), Duration.ofSeconds(30));

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    // Members start disconnected and hold every send until the test answers it.
    private final ScriptedSink primary = new ScriptedSink("primary").connected(false);
    private final ScriptedSink secondary = new ScriptedSink("secondary").connected(false);
    private final ScriptedSink tertiary = new ScriptedSink("tertiary").connected(false);
    private final FailoverSink group = new FailoverSink("cloud", List.of(primary, secondary, tertiary), OPTIONS,
            registry, scheduler, nanos::get);

    @AfterEach
    void tearDown() {
        group.close();
        scheduler.shutdownNow();
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
        group.check();
    }

    private static OutboundMessage message(String payload) {
        return new OutboundMessage("r", "t", payload.getBytes(StandardCharsets.UTF_8), 1, false, Map.of(),
                Optional.empty(), Optional.empty(), "s", 0, 0);
    }

    private static DeliveryException retry() {
        return new DeliveryException(Disposition.RETRY, "not connected");
    }

    private static Disposition dispositionOf(CompletionStage<Void> stage) {
        CompletableFuture<Void> f = stage.toCompletableFuture();
        assertThat(f).isCompletedExceptionally();
        try {
            f.join();
            throw new AssertionError("not failed");
        } catch (CompletionException e) {
            return ((DeliveryException) e.getCause()).disposition();
        }
    }

    private double switches(String from, String to, String reason) {
        return registry.find("edgebridge.failover.switches")
                .tags("sink", "cloud", "from", from, "to", to, "reason", reason).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private double activeGauge(String member) {
        return registry.find("edgebridge.failover.active").tags("sink", "cloud", "member", member).gauge().value();
    }

    @Test
    void sendsGoToTheFirstMember_andCompleteWithItsAnswer() {
        primary.connected(true);
        secondary.connected(true);
        group.check();

        CompletionStage<Void> ok = group.send(message("a"));
        CompletionStage<Void> rejected = group.send(message("b"));
        primary.answer(0, null);
        primary.answer(1, new DeliveryException(Disposition.REJECTED, "not authorized"));

        assertThat(ok.toCompletableFuture()).isCompleted().isNotCompletedExceptionally();
        assertThat(dispositionOf(rejected)).isEqualTo(Disposition.REJECTED);
        assertThat(secondary.sent()).isEmpty();
        assertThat(group.activeMember()).isEqualTo("primary");
        assertThat(activeGauge("primary")).isEqualTo(1);
        assertThat(activeGauge("secondary")).isZero();
    }

    @Test
    void afterSwitchAfterFailuresTransientFailures_itSwitchesToTheFirstConnectedMember() {
        primary.connected(true);
        tertiary.connected(true); // secondary is down: skipped
        group.check();
        List<CompletionStage<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sends.add(group.send(message("m" + i)));
        }

        primary.answer(0, retry());
        primary.answer(1, retry());
        assertThat(group.activeMember()).as("two failures are below the threshold").isEqualTo("primary");
        primary.answer(2, retry());

        assertThat(group.activeMember()).isEqualTo("tertiary");
        assertThat(switches("primary", "tertiary", "failures")).isEqualTo(1);
        assertThat(sends).allSatisfy(s -> assertThat(dispositionOf(s)).isEqualTo(Disposition.RETRY));
        group.send(message("next"));
        assertThat(tertiary.payloads()).containsExactly("next");
    }

    @Test
    void aSuccessResetsTheFailureCount_andRejectionsDoNotCount() {
        primary.connected(true);
        secondary.connected(true);
        group.check();
        for (int i = 0; i < 6; i++) {
            group.send(message("m" + i));
        }
        primary.answer(0, retry());
        primary.answer(1, retry());
        primary.answer(2, null);
        primary.answer(3, retry());
        primary.answer(4, new DeliveryException(Disposition.REJECTED, "no"));
        primary.answer(5, retry());

        assertThat(group.activeMember()).isEqualTo("primary");
    }

    @Test
    void aSwitchHandsOpenSendsBackForRetry_inOrder_andTheirLateAcksAreIgnored() {
        primary.connected(true);
        secondary.connected(true);
        group.check();
        List<String> completions = new CopyOnWriteArrayList<>();
        List<CompletionStage<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String name = "m" + i;
            CompletionStage<Void> s = group.send(message(name));
            s.whenComplete((ok, e) -> completions.add(name + (e == null ? ":ok" : ":retry")));
            sends.add(s);
        }

        primary.connected(false);
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(5));

        assertThat(group.activeMember()).isEqualTo("secondary");
        assertThat(completions).containsExactly("m0:retry", "m1:retry", "m2:retry", "m3:retry");
        // The primary comes back and acknowledges what it had: the pump has already been told to resend.
        for (int i = 0; i < 4; i++) {
            primary.answer(i, null);
        }
        assertThat(completions).hasSize(4);
        assertThat(sends).allSatisfy(s -> assertThat(dispositionOf(s)).isEqualTo(Disposition.RETRY));
        assertThat(switches("primary", "secondary", "disconnected")).isEqualTo(1);
    }

    @Test
    void aDisconnectShorterThanSwitchAfterDisconnected_doesNotSwitch() {
        primary.connected(true);
        secondary.connected(true);
        group.check();
        CompletionStage<Void> open = group.send(message("a"));

        primary.connected(false);
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(3)); // down for 3 s of the 5 allowed
        primary.connected(true);
        advance(Duration.ofSeconds(1));
        primary.connected(false);
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(3)); // a new outage: the clock started again

        assertThat(group.activeMember()).isEqualTo("primary");
        assertThat(open.toCompletableFuture()).isNotDone();
        advance(Duration.ofSeconds(2));
        assertThat(group.activeMember()).isEqualTo("secondary");
    }

    @Test
    void withNoOtherMemberConnected_itStaysAndKeepsTheOpenSends() {
        primary.connected(true);
        group.check();
        List<CompletionStage<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sends.add(group.send(message("m" + i)));
        }
        primary.answer(0, retry());
        primary.answer(1, retry());
        primary.answer(2, retry());
        primary.connected(false);
        advance(Duration.ofSeconds(1));
        advance(Duration.ofMinutes(1));

        assertThat(group.activeMember()).isEqualTo("primary");
        assertThat(sends.get(3).toCompletableFuture()).isNotDone();
        assertThat(registry.find("edgebridge.failover.switches").counters()).isEmpty();
        assertThat(group.isConnected()).isFalse();

        tertiary.connected(true);
        advance(FailoverSink.CHECK_INTERVAL);
        assertThat(group.activeMember()).as("the first member that comes up").isEqualTo("tertiary");
        assertThat(group.isConnected()).isTrue();
    }

    @Test
    void itSwitchesBack_onceTheEarlierMemberWasConnectedForSwitchBackAfter() {
        secondary.connected(true);
        group.check();
        advance(Duration.ofSeconds(5));
        assertThat(group.activeMember()).isEqualTo("secondary");
        CompletionStage<Void> onSecondary = group.send(message("s"));

        primary.connected(true);
        advance(Duration.ofSeconds(20));
        primary.connected(false); // a flap restarts the window
        advance(Duration.ofSeconds(1));
        primary.connected(true);
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(29));
        assertThat(group.activeMember()).isEqualTo("secondary");

        advance(Duration.ofSeconds(1));
        assertThat(group.activeMember()).isEqualTo("primary");
        assertThat(switches("secondary", "primary", "switch-back")).isEqualTo(1);
        assertThat(activeGauge("primary")).isEqualTo(1);
        assertThat(activeGauge("secondary")).isZero();
        // The secondary is healthy: what is open on it finishes there.
        assertThat(onSecondary.toCompletableFuture()).isNotDone();
        secondary.answer(0, null);
        assertThat(onSecondary.toCompletableFuture()).isCompleted().isNotCompletedExceptionally();
        group.send(message("p"));
        assertThat(primary.payloads()).containsExactly("p");
    }

    @Test
    void sendsLeftOnAFormerMember_areHandedBackWhenItDisconnects() {
        secondary.connected(true);
        group.check();
        advance(Duration.ofSeconds(5));
        CompletionStage<Void> onSecondary = group.send(message("s"));
        primary.connected(true);
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(30));
        assertThat(group.activeMember()).isEqualTo("primary");

        secondary.connected(false);
        advance(FailoverSink.CHECK_INTERVAL);

        assertThat(dispositionOf(onSecondary)).isEqualTo(Disposition.RETRY);
    }

    @Test
    void aMemberThatFailsOverIsNotReturnedToBeforeItProvesItself() {
        primary.connected(true);
        secondary.connected(true);
        group.check();
        for (int i = 0; i < 3; i++) {
            group.send(message("m" + i));
            primary.answer(i, retry()); // e.g. throttled while still connected
        }
        assertThat(group.activeMember()).isEqualTo("secondary");

        advance(Duration.ofSeconds(29));
        assertThat(group.activeMember()).isEqualTo("secondary");
        advance(Duration.ofSeconds(1));
        assertThat(group.activeMember()).isEqualTo("primary");
    }

    @Test
    void closeFailsOpenSendsWithRetry_andLaterSendsToo() {
        primary.connected(true);
        group.check();
        CompletionStage<Void> open = group.send(message("a"));

        group.close();

        assertThat(dispositionOf(open)).isEqualTo(Disposition.RETRY);
        assertThat(dispositionOf(group.send(message("b")))).isEqualTo(Disposition.RETRY);
    }

    /**
     * Sends, acknowledgements and switches race from several threads: every send completes exactly
     * once (acknowledged, or handed back for retry), none is left waiting on a member the group left.
     */
    @Test
    void underConcurrentSwitches_everySendCompletesExactlyOnce() throws Exception {
        primary.connected(true);
        secondary.connected(true);
        group.check();
        primary.acknowledgeEach();
        secondary.acknowledgeEach();
        int senders = 3;
        int perSender = 20_000;
        Queue<CompletableFuture<Void>> results = new ConcurrentLinkedQueue<>();
        AtomicInteger completions = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(senders);
        for (int t = 0; t < senders; t++) {
            int thread = t;
            Thread sender = new Thread(() -> {
                for (int i = 0; i < perSender; i++) {
                    CompletableFuture<Void> f = group.send(message(thread + "-" + i)).toCompletableFuture();
                    f.whenComplete((ok, e) -> completions.incrementAndGet());
                    results.add(f);
                }
                done.countDown();
            }, "sender-" + t);
            sender.setDaemon(true);
            sender.start();
        }
        // While they send, the primary goes down (its sends hang) and comes back, again and again.
        int flips = 0;
        while (done.getCount() > 0 || flips < 20) {
            primary.connected(false);
            primary.holdEach();
            advance(FailoverSink.CHECK_INTERVAL);
            advance(Duration.ofSeconds(5)); // to the secondary
            primary.connected(true);
            primary.acknowledgeEach();
            advance(FailoverSink.CHECK_INTERVAL);
            advance(Duration.ofSeconds(30)); // and back
            flips++;
        }
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        primary.connected(false);
        primary.holdEach();
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(6)); // settles on the secondary; the primary's open sends are handed back

        assertThat(group.activeMember()).isEqualTo("secondary");
        assertThat(switches("primary", "secondary", "disconnected")).isGreaterThanOrEqualTo(20);
        assertThat(results).hasSize(senders * perSender).allSatisfy(f -> assertThat(f).isDone());
        assertThat(completions.get()).isEqualTo(senders * perSender);
    }
}
