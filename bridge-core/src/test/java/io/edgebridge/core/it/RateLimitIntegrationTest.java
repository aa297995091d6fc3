package io.edgebridge.core.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.Recorder.Arrival;
import io.edgebridge.core.testing.TcpProxy;
import io.edgebridge.core.testing.TestBridge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rateLimit} end to end: the bridge loses its network path to a Mosquitto "cloud" (a
 * {@link TcpProxy} is cut) while devices publish a backlog; when the path is back, a subscriber on
 * the cloud broker times every arrival.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RateLimitIntegrationTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // kept for diagnosis when a test fails
    Path dir;

    private String config(LocalSetup.Instance local, TcpProxy path, String rateLimit) {
        return local.yaml() + """
                dataDir: %s
                stats: { logInterval: 0 }
                sinks:
                  cloud:
                    type: mqtt
                    uri: %s
                    reconnect: { min: 100ms, max: 500ms }
                    rateLimit: %s
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/<kind>
                    sink: cloud
                    topic: cloud/<deviceId>/<kind>
                """.formatted(dir.resolve("data"), path.uri(), rateLimit);
    }

    /** The largest sum of {@code weight} over the arrivals of any closed one-second span. */
    private static long mostInOneSecond(List<Arrival> arrivals, ToLongFunction<Arrival> weight) {
        List<Arrival> sorted = arrivals.stream().sorted(Comparator.comparingLong(Arrival::nanos)).toList();
        long most = 0;
        long sum = 0;
        int to = 0;
        for (int from = 0; from < sorted.size(); from++) {
            while (to < sorted.size() && sorted.get(to).nanos() - sorted.get(from).nanos() <= SECOND) {
                sum += weight.applyAsLong(sorted.get(to++));
            }
            most = Math.max(most, sum);
            sum -= weight.applyAsLong(sorted.get(from));
        }
        return most;
    }

    /** How close arrivals {@code n} apart came to one second: the smallest gap, in milliseconds. */
    private static double smallestGap(List<Arrival> arrivals, int n) {
        List<Long> times = arrivals.stream().map(Arrival::nanos).sorted().toList();
        long smallest = Long.MAX_VALUE;
        for (int i = 0; i + n < times.size(); i++) {
            smallest = Math.min(smallest, times.get(i + n) - times.get(i));
        }
        return smallest / 1e6;
    }

    private static void cutAndAwaitDisconnect(TcpProxy path, TestBridge bridge) {
        await().atMost(Duration.ofSeconds(30)).until(() -> bridge.bridge().sinksConnected());
        path.cut();
        await().atMost(Duration.ofSeconds(10)).until(() -> !bridge.bridge().sinksConnected());
    }

    @Test
    void afterAnOutage_theBacklogDrainsAtTheLimit_andNewMessagesGoOutAlongsideIt() throws Exception {
        int limit = 100;
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var path = new TcpProxy(cloud.port()).restore();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), config(local, path, "{messages: " + limit + "}"));
                var devices = new Publisher(local.port(), 100)) {
            cutAndAwaitDisconnect(path, bridge);
            List<String> backlog = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                String payload = "backlog-" + i;
                backlog.add(payload);
                devices.publish("sensors/dev" + (i % 10) + "/data", payload);
            }
            devices.drain(30, TimeUnit.SECONDS);
            assertThat(devices.acked()).isEqualTo(600);

            path.restore();
            await().atMost(Duration.ofSeconds(30)).until(() -> recorder.distinct() >= 50);
            // New messages while the backlog drains (it takes about six seconds): ten a second for three seconds.
            Map<String, Long> published = new ConcurrentHashMap<>();
            AtomicInteger next = new AtomicInteger();
            ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
            try {
                clock.scheduleAtFixedRate(() -> {
                    int i = next.getAndIncrement();
                    if (i < 30) {
                        String payload = "live-" + i;
                        published.put(payload, System.nanoTime());
                        devices.publish("sensors/dev" + (i % 10) + "/live", payload);
                    }
                }, 0, 100, TimeUnit.MILLISECONDS);
                recorder.awaitDistinct(630, Duration.ofSeconds(60));
            } finally {
                clock.shutdownNow();
            }

            List<String> live = new ArrayList<>(published.keySet());
            assertThat(live).hasSize(30);
            assertThat(recorder.missing(backlog)).isEmpty();
            assertThat(recorder.missing(live)).isEmpty();
            List<Arrival> arrivals = recorder.arrivals();
            assertThat(mostInOneSecond(arrivals, a -> 1)).as("arrivals in any one second").isLessThanOrEqualTo(limit);

            Map<String, Long> arrived = new ConcurrentHashMap<>();
            arrivals.forEach(a -> arrived.putIfAbsent(a.payload(), a.nanos()));
            long lastBacklog = backlog.stream().mapToLong(arrived::get).max().orElseThrow();
            long lastLive = live.stream().mapToLong(arrived::get).max().orElseThrow();
            long slowestLive = live.stream().mapToLong(p -> arrived.get(p) - published.get(p)).max().orElseThrow();
            long backlogAfterLastLive = backlog.stream().filter(p -> arrived.get(p) > lastLive).count();
            assertThat(slowestLive).as("the longest a new message waited, ns").isLessThan(SECOND);
            assertThat(backlogAfterLastLive).as("backlog messages that arrived after the last new one")
                    .isGreaterThanOrEqualTo(limit);
            assertThat(bridge.count("edgebridge.sink.ratelimited", "sink", "cloud")).isPositive();
            System.out.printf("rate limit %d/s: most in one second %d, smallest gap over %d arrivals %.1f ms,"
                    + " slowest new message %.0f ms, backlog done %.1f s after the last new message,"
                    + " %d duplicates%n", limit, mostInOneSecond(arrivals, a -> 1), limit, smallestGap(arrivals, limit),
                    slowestLive / 1e6, (lastBacklog - lastLive) / 1e9, recorder.duplicates());
        }
    }

    @Test
    void aByteLimit_holdsAtTheReceiverOverEveryOneSecondSpan() throws Exception {
        long limit = 8 * 1024;
        String padding = "x".repeat(400);
        try (var local = LocalSetup.EMBEDDED_EXTENSION.start(dir);
                var cloud = new Mosquitto(dir.resolve("cloud")).start();
                var path = new TcpProxy(cloud.port()).restore();
                var recorder = new Recorder(cloud.port(), "recorder", "cloud/#");
                var bridge = TestBridge.start(dir.resolve("bridge"), config(local, path, "{bytes: 8KB}"));
                var devices = new Publisher(local.port(), 100)) {
            cutAndAwaitDisconnect(path, bridge);
            List<String> backlog = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String payload = i + "-" + padding;
                backlog.add(payload);
                devices.publish("sensors/dev" + (i % 10) + "/data", payload);
            }
            devices.drain(30, TimeUnit.SECONDS);

            path.restore();
            recorder.awaitDistinct(100, Duration.ofSeconds(60));

            assertThat(recorder.missing(backlog)).isEmpty();
            List<Arrival> arrivals = recorder.arrivals();
            long most = mostInOneSecond(arrivals, a -> a.payload().getBytes(StandardCharsets.UTF_8).length);
            assertThat(most).as("payload bytes arriving in any one second").isLessThanOrEqualTo(limit);
            // About 20 messages a window: the limit is used, not just respected.
            assertThat(most).isGreaterThan(limit / 2);
            System.out.printf("rate limit %d bytes/s: most in one second %d bytes, smallest gap over 20 arrivals %.1f ms%n",
                    limit, most, smallestGap(arrivals, 20));
        }
    }
}
