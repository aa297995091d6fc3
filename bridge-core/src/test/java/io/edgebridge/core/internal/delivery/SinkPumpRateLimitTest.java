package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.RateLimit;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.internal.spool.DropReason;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.testing.ScriptedSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code rateLimit} in the pump: the limiter on every send, and the two lanes while a backlog drains. */
@Timeout(60)
class SinkPumpRateLimitTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private OneRouteSpool setting;
    private Spool spool;
    private SinkPump pump;

    @BeforeEach
    void setUp() {
        setting = new OneRouteSpool(dir, registry);
        spool = setting.spool;
    }

    @AfterEach
    void tearDown() {
        setting.close();
    }

    private void startPump(ScriptedSink sink, int maxInFlight, RateLimit limit, long position) {
        pump = setting.pump(sink, maxInFlight, Optional.of(limit));
        pump.start(position);
    }

    private long append(String id, int bytes) {
        byte[] payload = new byte[bytes];
        return spool.append(System.currentTimeMillis(), 1, false, "s/" + id, payload).join();
    }

    private long appendBacklog(int n) {
        long start = spool.committed();
        for (int i = 0; i < n; i++) {
            append(Integer.toString(i), 10);
        }
        return start;
    }

    private double rateLimited() {
        return registry.find("edgebridge.sink.ratelimited").tag("sink", "out").counter().count();
    }

    /** The most sends in any closed one-second span. */
    private static int mostInOneSecond(List<ScriptedSink.Send> sends) {
        List<Long> times = sends.stream().map(ScriptedSink.Send::nanos).sorted().toList();
        int most = 0;
        int to = 0;
        for (int from = 0; from < times.size(); from++) {
            while (to < times.size() && times.get(to) - times.get(from) <= SECOND) {
                to++;
            }
            most = Math.max(most, to - from);
        }
        return most;
    }

    private static ScriptedSink acking() {
        return new ScriptedSink("out").acknowledgeEach();
    }

    @Test
    void drainingABacklog_noOneSecondSpanHoldsMoreThanTheLimit_andTheLimitIsUsed() {
        ScriptedSink sink = acking();
        long start = appendBacklog(200);
        startPump(sink, 1000, RateLimit.messages(50), start);

        await().atMost(Duration.ofSeconds(20)).until(() -> pump.cursor() == spool.committed());

        List<ScriptedSink.Send> sends = sink.sends();
        assertThat(sends).hasSize(200);
        assertThat(sends.stream().map(ScriptedSink.Send::topic).distinct()).hasSize(200);
        assertThat(mostInOneSecond(sends)).isLessThanOrEqualTo(50).as("the limit is used").isGreaterThanOrEqualTo(40);
        // Four windows' worth: the last send cannot come before three windows have passed.
        assertThat(sends.get(199).nanos() - sends.get(0).nanos()).isGreaterThanOrEqualTo(3 * RateLimiter.WINDOW_NANOS);
        // All but the first short burst waited for the limit. The burst refills one send per 20 ms,
        // so a pump thread stalled that long during the burst (an overloaded machine) lets one more
        // through at once: a few, never many.
        int burst = 50 / RateLimiter.BURST_DIVISOR;
        assertThat(rateLimited()).isBetween(200.0 - burst - 5, 200.0 - burst);
    }

    @Test
    void aByteLimit_holdsOverEverySecond_andAnOversizedMessageGoesAlone() {
        ScriptedSink sink = acking();
        long start = spool.committed();
        for (int i = 0; i < 6; i++) {
            append("small" + i, 300);
        }
        append("big", 2000);
        for (int i = 6; i < 9; i++) {
            append("small" + i, 300);
        }
        startPump(sink, 1000, RateLimit.bytes(1024), start);

        await().atMost(Duration.ofSeconds(20)).until(() -> pump.cursor() == spool.committed());

        List<ScriptedSink.Send> sends = sink.sends();
        assertThat(sends).extracting(ScriptedSink.Send::topic).hasSize(10).contains("t/big");
        ScriptedSink.Send big = sends.stream().filter(s -> s.topic().equals("t/big")).findFirst().orElseThrow();
        for (ScriptedSink.Send first : sends) {
            List<ScriptedSink.Send> span = sends.stream()
                    .filter(s -> s.nanos() >= first.nanos() && s.nanos() - first.nanos() <= SECOND).toList();
            if (span.contains(big)) {
                assertThat(span).as("the oversized message goes alone").containsExactly(big);
            } else {
                assertThat(span.stream().mapToInt(ScriptedSink.Send::bytes).sum()).isLessThanOrEqualTo(1024);
            }
        }
    }

    @Test
    void retriesCountAgainstTheLimit() {
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        ScriptedSink sink = new ScriptedSink("out", m -> {
            if (!failedOnce.add(m.topic())) {
                return CompletableFuture.completedFuture(null);
            }
            Disposition how = m.topic().hashCode() % 2 == 0 ? Disposition.REJECTED : Disposition.RETRY;
            return CompletableFuture.failedFuture(new DeliveryException(how, "not now"));
        });
        long start = appendBacklog(20);
        startPump(sink, 1000, RateLimit.messages(10), start);

        await().atMost(Duration.ofSeconds(20)).until(() -> pump.cursor() == spool.committed());

        List<ScriptedSink.Send> sends = sink.sends();
        assertThat(sends).hasSize(40);
        assertThat(sends.stream().collect(Collectors.groupingBy(ScriptedSink.Send::topic, Collectors.counting())))
                .hasSize(20).allSatisfy((topic, attempts) -> assertThat(attempts).isEqualTo(2));
        assertThat(mostInOneSecond(sends)).isLessThanOrEqualTo(10);
    }

    @Test
    void newMessagesGoOutAlongsideTheBacklog_notAfterIt() {
        ScriptedSink sink = acking();
        long start = appendBacklog(100);
        startPump(sink, 1000, RateLimit.messages(20), start);
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sendCount() >= 20);

        for (int i = 0; i < 10; i++) {
            append("live" + i, 10);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> pump.cursor() == spool.committed());

        List<String> order = sink.sends().stream().map(ScriptedSink.Send::topic).toList();
        assertThat(order).hasSize(110).doesNotHaveDuplicates();
        List<String> live = order.stream().filter(t -> t.startsWith("t/live")).toList();
        assertThat(live).as("live messages keep their order")
                .containsExactly("t/live0", "t/live1", "t/live2", "t/live3", "t/live4",
                        "t/live5", "t/live6", "t/live7", "t/live8", "t/live9");
        int lastLive = order.indexOf("t/live9");
        long backlogAfter = order.subList(lastLive, order.size()).stream().filter(t -> !t.startsWith("t/live")).count();
        assertThat(backlogAfter).as("backlog messages still to go when the last live one went").isGreaterThanOrEqualTo(40);
        assertThat(mostInOneSecond(sink.sends())).isLessThanOrEqualTo(20);
        // The backlog itself kept its order.
        List<String> backlog = order.stream().filter(t -> !t.startsWith("t/live")).toList();
        assertThat(backlog).isEqualTo(java.util.stream.IntStream.range(0, 100).mapToObj(i -> "t/" + i).toList());
    }

    @Test
    void whileTheBacklogDrains_theCursorStaysAtItsOldestOpenMessage_thoughNewerOnesAreDone() {
        Map<String, CompletableFuture<Void>> held = new ConcurrentHashMap<>();
        ScriptedSink sink = new ScriptedSink("out", m -> m.topic().equals("t/45")
                ? held.computeIfAbsent(m.topic(), t -> new CompletableFuture<>())
                : CompletableFuture.completedFuture(null));
        long start = appendBacklog(60);
        startPump(sink, 1000, RateLimit.messages(50), start);
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sendCount() >= 50);
        for (int i = 0; i < 3; i++) {
            append("live" + i, 10);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> sink.attempts("t/live2") == 1);
        assertThat(pump.cursor()).isEqualTo(start + 45);
        assertThat(pump.backlog()).isEqualTo(spool.published() - (start + 45));

        held.get("t/45").complete(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());
        assertThat(sink.sends()).hasSize(63);
    }

    @Test
    void entriesDroppedWhileTwoLanesRun_areEitherSentOrCountedDropped_neverBoth() {
        ScriptedSink sink = acking();
        long start = appendBacklog(40);
        startPump(sink, 1000, RateLimit.messages(10), start);
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sendCount() >= 10);
        for (int i = 0; i < 5; i++) {
            append("live" + i, 10);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sends().stream().anyMatch(s -> s.topic().startsWith("t/live")));

        long to = spool.published();
        SinkPump.Unsent unsent = pump.claimDropped(to);
        Set<String> counted = new HashSet<>();
        spool.scan(start, to, e -> {
            if (unsent.contains(e.seq())) {
                pump.countDropped(e, DropReason.SPOOL_FULL);
                counted.add("t/" + e.topic().substring(2));
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> pump.cursor() == spool.committed());

        Set<String> sent = sink.sends().stream().map(ScriptedSink.Send::topic).collect(Collectors.toSet());
        assertThat(sink.sends()).hasSameSizeAs(sent);
        assertThat(counted).isNotEmpty().doesNotContainAnyElementsOf(sent);
        Set<String> all = new HashSet<>(sent);
        all.addAll(counted);
        assertThat(all).hasSize(45);
        assertThat(registry.find("edgebridge.messages.dropped").tag("reason", "spool-full").counter().count())
                .isEqualTo(counted.size());
    }

    @Test
    void nothingIsSentWhileTheSinkIsDisconnected_andWhatALinkResendsAtTheReconnectCounts() {
        Map<String, CompletableFuture<Void>> held = new ConcurrentHashMap<>();
        ScriptedSink sink = new ScriptedSink("out", m -> held.computeIfAbsent(m.topic(), t -> new CompletableFuture<>()));
        long start = appendBacklog(5);
        startPump(sink, 1000, RateLimit.messages(10), start);
        await().atMost(Duration.ofSeconds(5)).until(() -> sink.sendCount() == 5);

        sink.connected(false);
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> true); // the pump notices
        for (int i = 5; i < 15; i++) {
            append(Integer.toString(i), 10);
        }
        // Nothing goes out for longer than a window: only the 5 re-sends at the reconnect can hold 5 more sends back.
        await().during(Duration.ofMillis(1200)).atMost(Duration.ofSeconds(3))
                .untilAsserted(() -> assertThat(sink.sends()).as("sends while disconnected").hasSize(5));

        long reconnected = System.nanoTime();
        sink.connected(true);
        held.values().forEach(f -> f.complete(null)); // the link got them through after the reconnect
        sink.acknowledgeEach();
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.sendCount() == 15);
        List<ScriptedSink.Send> sends = sink.sends();
        assertThat(sends.get(5).nanos() - reconnected)
                .as("the 5 open sends, sent again by the link, hold the other 5 places until a window after their acknowledgement")
                .isGreaterThanOrEqualTo(RateLimiter.WINDOW_NANOS);
        await().atMost(Duration.ofSeconds(5)).until(() -> pump.cursor() == spool.committed());
    }
}
