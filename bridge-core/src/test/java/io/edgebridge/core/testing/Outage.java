package io.edgebridge.core.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The cloud-outage scenario the sink integration tests share. */
public final class Outage {

    private Outage() {
    }

    /**
     * Lets the outage last {@code length} (the scenario's point, not a wait for something), checking
     * all along that the bridge holds the undelivered messages in its spool.
     */
    public static void holdFor(TestBridge bridge, Duration length) {
        await().during(length).atMost(length.plusSeconds(5))
                .until(() -> bridge.bridge().spool().entryCount() > 0);
    }

    /**
     * Waits until every payload of {@code sent} was received by the stand-in ({@code received}:
     * payload to how often, counted at its broker, across restarts) and prints the totals.
     */
    public static void awaitAllReceived(List<String> sent, Supplier<Map<String, Integer>> received, Duration timeout) {
        await().atMost(timeout).until(() -> {
            Map<String, Integer> now = received.get();
            return sent.stream().allMatch(now::containsKey);
        });
        long total = received.get().values().stream().mapToLong(Integer::longValue).sum();
        System.out.printf("[outage] %d messages sent, %d received by the stand-in (duplicates included)%n",
                sent.size(), total);
    }
}
