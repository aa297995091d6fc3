package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.RateLimit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The limiter on a simulated clock. */
class RateLimiterTest {

    private static final long W = 1_000_000_000L;

    /** Sends as early as the limiter allows from {@code now}, each acknowledged at once; returns the send times. */
    private static List<Long> sendAsSoonAsAllowed(RateLimiter limiter, long now, int n, long bytes) {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            now += limiter.delayNanos(now, bytes);
            limiter.complete(limiter.send(now, bytes), now);
            times.add(now);
        }
        return times;
    }

    @Test
    void aMessageLimit_letsAShortBurstThrough_thenSpacesTheSendsEvenly() {
        RateLimiter limiter = new RateLimiter(RateLimit.messages(100), W);

        List<Long> times = sendAsSoonAsAllowed(limiter, 0, 7, 10);

        assertThat(times.subList(0, 5)).containsOnly(0L); // 100 / 20 back to back
        assertThat(times.get(5)).isBetween(W / 100, W / 100 + 2);
        assertThat(times.get(6) - times.get(5)).isBetween(W / 100 - 2, W / 100 + 2);
    }

    @Test
    void theWindowHoldsAtMostTheLimit_evenWhereThePacingWouldLetOneMoreGo() {
        RateLimiter limiter = new RateLimiter(RateLimit.messages(100), W);

        List<Long> times = sendAsSoonAsAllowed(limiter, 0, 100, 10);
        long last = times.get(99);

        assertThat(last).as("the burst let the 100th go early").isLessThan(W * 96 / 100);
        assertThat(last + limiter.delayNanos(last, 10)).as("the 101st waits for the first to leave").isEqualTo(W);
    }

    @Test
    void aMessageCountsUntilAWindowAfterItsAcknowledgement() {
        RateLimiter limiter = new RateLimiter(RateLimit.messages(2), W);
        long first = limiter.send(0, 10);
        limiter.complete(limiter.send(0, 10), 5);

        assertThat(limiter.delayNanos(2 * W, 10)).as("the first is still open").isEqualTo(RateLimiter.UNTIL_COMPLETION);
        limiter.complete(first, 2 * W);
        assertThat(limiter.delayNanos(2 * W, 10)).isEqualTo(W);
    }

    @Test
    void aByteLimit_spacesSendsBySize_andTheWindowHoldsAtMostTheLimit() {
        RateLimiter limiter = new RateLimiter(RateLimit.bytes(1000), W);

        List<Long> times = sendAsSoonAsAllowed(limiter, 0, 4, 400);

        assertThat(times.get(0)).isZero();
        assertThat(times.get(1)).as("paced: 400 bytes at 1000 a window").isBetween(W * 4 / 10 - 2, W * 4 / 10 + 2);
        assertThat(times.get(2)).as("the window: 800 + 400 > 1000 until the first leaves").isEqualTo(W);
        assertThat(times.get(3)).isEqualTo(times.get(1) + W);
    }

    @Test
    void bytesOfAnOpenSend_holdTheWindowUntilItCompletes() {
        RateLimiter limiter = new RateLimiter(RateLimit.bytes(1000), W);
        long open = limiter.send(0, 900);

        assertThat(limiter.delayNanos(3 * W, 200)).isEqualTo(RateLimiter.UNTIL_COMPLETION);
        limiter.complete(open, 3 * W);
        assertThat(limiter.delayNanos(3 * W, 100)).as("900 + 100 fit").isZero();
        assertThat(limiter.delayNanos(3 * W, 200)).isEqualTo(W);
    }

    @Test
    void aMessageLargerThanTheByteLimit_goesAlone_onceTheWindowIsClear() {
        RateLimiter limiter = new RateLimiter(RateLimit.bytes(1000), W);
        limiter.complete(limiter.send(0, 10), 0);
        assertThat(limiter.delayNanos(5, 5000)).isEqualTo(W - 5);
        assertThat(limiter.delayNanos(W, 5000)).isZero();
        limiter.complete(limiter.send(W, 5000), W);
        assertThat(limiter.delayNanos(W + 1, 1)).isEqualTo(W - 1);
    }

    @Test
    void theRateInMessagesPerWindow_isTheMessageLimitOrEstimatedFromPayloadSizes() {
        assertThat(new RateLimiter(RateLimit.messages(70), W).messagesPerWindow()).isEqualTo(70);
        RateLimiter bytes = new RateLimiter(RateLimit.bytes(10_000), W);
        assertThat(bytes.messagesPerWindow()).isEqualTo(Integer.MAX_VALUE);
        bytes.send(0, 100);
        assertThat(bytes.messagesPerWindow()).isEqualTo(100);
    }

    private record Received(long at, long bytes) {
    }

    private record Ack(long ticket, long at) {
    }

    /**
     * Random demand, sizes, limits and acknowledgement delays; the server receives each message at a
     * random moment between its send and its acknowledgement, in order: no window of those receive
     * times ever holds more than the limits.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9})
    void noWindowAtTheServerEverExceedsTheLimits_howeverTheNetworkDelays(long seed) {
        Random random = new Random(seed);
        int maxMessages = 1 + random.nextInt(50);
        long maxBytes = 1024 + random.nextInt(20_000);
        RateLimit limit = switch ((int) (seed % 3)) {
            case 0 -> RateLimit.messages(maxMessages);
            case 1 -> RateLimit.bytes(maxBytes);
            default -> new RateLimit(OptionalInt.of(maxMessages), OptionalLong.of(maxBytes));
        };
        RateLimiter limiter = new RateLimiter(limit, W);
        ArrayDeque<Ack> acks = new ArrayDeque<>(); // in order, as MQTT acknowledges
        List<Received> received = new ArrayList<>();
        long now = 0;
        long lastAck = 0;
        long lastReceived = 0;
        int delayed = 0;
        for (int i = 0; i < 3000; i++) {
            now += random.nextInt(4) == 0 ? random.nextLong(W / 2) : random.nextLong(W / 200);
            long bytes = random.nextInt(100) == 0 ? maxBytes + random.nextInt(5000) : random.nextInt((int) maxBytes / 4);
            while (true) {
                while (!acks.isEmpty() && acks.peekFirst().at() <= now) {
                    Ack ack = acks.pollFirst();
                    limiter.complete(ack.ticket(), ack.at());
                }
                long wait = limiter.delayNanos(now, bytes);
                if (wait == 0) {
                    break;
                }
                delayed++;
                long next = wait == RateLimiter.UNTIL_COMPLETION ? Long.MAX_VALUE : now + wait;
                now = acks.isEmpty() ? next : Math.min(next, acks.peekFirst().at());
                assertThat(now).as("something to wait for").isLessThan(Long.MAX_VALUE);
            }
            long ticket = limiter.send(now, bytes);
            long ackAt = Math.max(lastAck, now + random.nextLong(W / 5));
            acks.addLast(new Ack(ticket, ackAt));
            lastAck = ackAt;
            long at = Math.max(lastReceived, now + (long) (random.nextDouble() * (ackAt - now)));
            received.add(new Received(at, bytes));
            lastReceived = at;
        }
        assertThat(delayed).as("the demand exceeds the limit at times").isPositive();
        // Every window (t - W, t] ending at a receipt.
        int from = 0;
        long bytesInWindow = 0;
        int withBytes = 0;
        for (int to = 0; to < received.size(); to++) {
            bytesInWindow += received.get(to).bytes();
            withBytes += received.get(to).bytes() > 0 ? 1 : 0;
            while (received.get(from).at() <= received.get(to).at() - W) {
                bytesInWindow -= received.get(from).bytes();
                withBytes -= received.get(from).bytes() > 0 ? 1 : 0;
                from++;
            }
            int count = to - from + 1;
            limit.messagesPerSecond().ifPresent(max -> assertThat(count).isLessThanOrEqualTo(max));
            if (limit.bytesPerSecond().isPresent() && withBytes > 1) { // one oversized message may go alone
                assertThat(bytesInWindow).isLessThanOrEqualTo(limit.bytesPerSecond().getAsLong());
            }
        }
    }
}
