package io.edgebridge.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * One poison-message row of the fault matrix, run against a bridge that is up: devices on two
 * connections of their own publish normal traffic (QoS 1) while one poison message goes in among
 * it. The row then waits until every normal message reached the destination, the poison one was
 * dead-lettered (or delivered, or counted as undeliverable, as expected) and the bridge is ready,
 * and asserts the accounting, no duplicates, no disconnect of the bridge's MQTT sessions and a
 * bounded number of WARN/ERROR lines. The caller {@link FaultRow#record() records} the row.
 */
public final class PoisonRun {

    /** What should become of the poison message. */
    public enum Expect {
        /** Published to the dead-letter topic: {@code deadlettered} grows by one. */
        DEAD_LETTERED,
        /** Even its dead letter cannot be published: {@code dropped{reason=undeliverable}} grows by one. */
        UNDELIVERABLE,
        /** The destination takes it like any other message. */
        DELIVERED
    }

    private static final AtomicInteger ROWS = new AtomicInteger();

    private final String fault;
    private final String local;
    private final String sink;
    private final TestBridge bridge;
    private final int localPort;
    private final LogCapture logs;
    private int messages = 300;
    private IntFunction<String> topics;
    private String poisonTopic;
    private String poisonPayload;
    private Supplier<Map<String, Integer>> received;
    private Expect expect = Expect.DEAD_LETTERED;
    private int maxLogLines = 4;
    private Duration timeout = Duration.ofSeconds(60);

    private PoisonRun(String fault, String local, String sink, TestBridge bridge, int localPort, LogCapture logs) {
        this.fault = fault;
        this.local = local;
        this.sink = sink;
        this.bridge = bridge;
        this.localPort = localPort;
        this.logs = logs;
    }

    /**
     * @param local     the local broker mode, as {@link FaultRow#local()} names it
     * @param localPort where devices publish
     * @param logs      the capture of the bridge's log (cleared at the start of the row)
     */
    public static PoisonRun of(String fault, String local, String sink, TestBridge bridge, int localPort,
            LogCapture logs) {
        return new PoisonRun(fault, local, sink, bridge, localPort, logs);
    }

    /** {@code messages} normal messages, message {@code i} published on {@code topicOf.apply(i)}. */
    public PoisonRun traffic(int messages, IntFunction<String> topicOf) {
        this.messages = messages;
        this.topics = topicOf;
        return this;
    }

    public PoisonRun poison(String topic, String payload) {
        this.poisonTopic = topic;
        this.poisonPayload = payload;
        return this;
    }

    /** What the destination received so far: payload to how often (duplicates counted). */
    public PoisonRun destination(Supplier<Map<String, Integer>> received) {
        this.received = received;
        return this;
    }

    public PoisonRun expect(Expect expect) {
        this.expect = expect;
        return this;
    }

    /** The most WARN/ERROR lines the row may log (default 4). */
    public PoisonRun maxLogLines(int max) {
        this.maxLogLines = max;
        return this;
    }

    public PoisonRun timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** Copies per payload, from a {@link Recorder}'s arrivals. */
    public static Supplier<Map<String, Integer>> copies(Recorder recorder) {
        return () -> {
            Map<String, Integer> copies = new java.util.HashMap<>();
            for (Recorder.Arrival a : recorder.arrivals()) {
                copies.merge(a.payload(), 1, Integer::sum);
            }
            return copies;
        };
    }

    /** Runs the row and asserts it; returns it for {@link FaultRow#record()}. */
    public FaultRow run() throws Exception {
        String row = "row" + ROWS.incrementAndGet() + "-" + System.nanoTime();
        double deadBefore = bridge.count("edgebridge.messages.deadlettered");
        double undeliverableBefore = bridge.count("edgebridge.messages.dropped", "reason", "undeliverable");
        AdminClient admin = new AdminClient(bridge.adminPort());
        logs.clear();
        List<String> normal = new ArrayList<>();
        long poisonAckedAt;
        boolean poisonAcked;
        try (Publisher a = new Publisher(localPort, 100); Publisher b = new Publisher(localPort, 100);
                Publisher poisoner = new Publisher(localPort, 1)) {
            int poisonAt = messages / 3;
            CompletableFuture<Void> poisonAck = null;
            for (int i = 0; i < messages; i++) {
                if (i == poisonAt) {
                    poisonAck = poisoner.publish(poisonTopic, poisonPayload);
                }
                String payload = row + "-" + i;
                normal.add(payload);
                (i % 2 == 0 ? a : b).publish(topics.apply(i), payload);
            }
            a.drain(timeout.toSeconds(), TimeUnit.SECONDS);
            b.drain(timeout.toSeconds(), TimeUnit.SECONDS);
            poisoner.drain(timeout.toSeconds(), TimeUnit.SECONDS);
            poisonAcked = !poisonAck.isCompletedExceptionally();
            poisonAckedAt = System.nanoTime();
            assertThat(a.acked() + b.acked()).as("%s: normal messages acknowledged", fault).isEqualTo(messages);
            assertThat(poisonAcked).as("%s: the poison message was acknowledged (%s)", fault, poisoner.lastError())
                    .isTrue();
        }
        try {
            await(fault + ": every normal message delivered, the poison one " + expect + ", the bridge ready")
                    .atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> {
                        Map<String, Integer> now = received.get();
                        return normal.stream().allMatch(now::containsKey) && poisonSettled(now, deadBefore,
                                undeliverableBefore) && admin.ready() == 200;
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            Map<String, Integer> now = received.get();
            throw new AssertionError(e.getMessage() + "; delivered "
                    + normal.stream().filter(now::containsKey).count() + " of " + messages + ", dead-lettered "
                    + (bridge.count("edgebridge.messages.deadlettered") - deadBefore) + ", undeliverable "
                    + (bridge.count("edgebridge.messages.dropped", "reason", "undeliverable") - undeliverableBefore)
                    + ", ready " + admin.ready() + ", log: " + head(logs.lines()), e);
        }
        Duration recovery = Duration.ofNanos(System.nanoTime() - poisonAckedAt);
        Map<String, Integer> now = received.get();
        long delivered = normal.stream().filter(now::containsKey).count() + (now.containsKey(poisonPayload) ? 1 : 0);
        long duplicates = normal.stream().mapToLong(p -> Math.max(0, now.getOrDefault(p, 0) - 1)).sum()
                + Math.max(0, now.getOrDefault(poisonPayload, 0) - 1);
        long counted = Math.round(bridge.count("edgebridge.messages.deadlettered") - deadBefore
                + bridge.count("edgebridge.messages.dropped", "reason", "undeliverable") - undeliverableBefore);
        FaultRow result = new FaultRow(fault, local, sink, messages + 1L, delivered, counted, duplicates, recovery,
                logs.count());
        assertThat(logs.count(e -> e.getFormattedMessage().startsWith("disconnected")))
                .as("%s: the bridge's MQTT sessions stayed connected; log: %s", fault, head(logs.lines())).isZero();
        assertThat(result.logLines()).as("%s: WARN/ERROR lines: %s", fault, head(logs.lines()))
                .isLessThanOrEqualTo(maxLogLines);
        return result.assertAccounted(0);
    }

    private boolean poisonSettled(Map<String, Integer> now, double deadBefore, double undeliverableBefore) {
        double dead = bridge.count("edgebridge.messages.deadlettered") - deadBefore;
        double undeliverable = bridge.count("edgebridge.messages.dropped", "reason", "undeliverable")
                - undeliverableBefore;
        return switch (expect) {
            case DEAD_LETTERED -> dead == 1 && undeliverable == 0;
            case UNDELIVERABLE -> undeliverable == 1 && dead == 0;
            case DELIVERED -> now.containsKey(poisonPayload) && dead == 0 && undeliverable == 0;
        };
    }

    private static List<String> head(List<String> lines) {
        return lines.stream().limit(10).map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l).toList();
    }
}
