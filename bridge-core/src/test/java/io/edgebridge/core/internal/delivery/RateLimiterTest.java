package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.RateLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The limiter on a simulated clock: every send goes at the first moment the limiter allows it. */
class RateLimiterTest {

    private static final long W = 1_000_000_000L;

    private record Sent(long at, long bytes) {
    }

    @Test
    void aMessageLimit_letsRThroughAtOnce_thenTheNextWhenTheOldestLeavesTheWindow() {
        RateLimiter limiter = new RateLimiter(RateLimit.messages(3), W);
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.delayNanos(100 + i, 10)).isZero();
            limiter.record(100 + i, 10);
        }
        assertThat(limiter.delayNanos(500, 10)).isEqualTo(100 + W - 500);
        assertThat(limiter.delayNanos(100 + W, 10)).isZero();
        limiter.record(100 + W, 10);
        assertThat(limiter.delayNanos(100 + W, 10)).isEqualTo(1); // the second send leaves at 101 + W
    }

    @Test
    void aByteLimit_waitsUntilEnoughBytesLeftTheWindow() {
        RateLimiter limiter = new RateLimiter(RateLimit.bytes(1000), W);
        limiter.record(0, 400);
        limiter.record(10, 400);
        assertThat(limiter.delayNanos(20, 200)).isZero();
        assertThat(limiter.delayNanos(20, 201)).isEqualTo(W - 20); // the first 400 must leave
        assertThat(limiter.delayNanos(20, 600)).isEqualTo(W - 20); // 400 + 600 fit
        assertThat(limiter.delayNanos(20, 601)).isEqualTo(W + 10 - 20); // both must leave
    }

    @Test
    void aMessageLargerThanTheByteLimit_goesAlone_onceTheWindowIsClear() {
        RateLimiter limiter = new RateLimiter(RateLimit.bytes(1000), W);
        limiter.record(0, 10);
        assertThat(limiter.delayNanos(5, 5000)).isEqualTo(W - 5);
        assertThat(limiter.delayNanos(W, 5000)).isZero();
        limiter.record(W, 5000);
        assertThat(limiter.delayNanos(W + 1, 1)).isEqualTo(W - 1);
    }

    @Test
    void resendsRecordedInABlock_countLikeSends() {
        RateLimiter limiter = new RateLimiter(new RateLimit(OptionalInt.of(10), OptionalLong.of(10_000)), W);
        limiter.record(0, 4, 8000);
        assertThat(limiter.delayNanos(1, 2000)).isZero();
        assertThat(limiter.delayNanos(1, 2001)).isEqualTo(W - 1);
        limiter.record(0, 20, 0); // more than the limit: the window is full
        assertThat(limiter.delayNanos(1, 0)).isEqualTo(W - 1);
    }

    @Test
    void theRateInMessagesPerWindow_isTheMessageLimitOrEstimatedFromPayloadSizes() {
        assertThat(new RateLimiter(RateLimit.messages(70), W).messagesPerWindow()).isEqualTo(70);
        RateLimiter bytes = new RateLimiter(RateLimit.bytes(10_000), W);
        assertThat(bytes.messagesPerWindow()).isEqualTo(Integer.MAX_VALUE);
        bytes.record(0, 100);
        assertThat(bytes.messagesPerWindow()).isEqualTo(100);
    }

    /** Random demand, sizes and limits: no sliding window ever holds more than the limits. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void noSlidingWindowEverExceedsTheLimits(long seed) {
        Random random = new Random(seed);
        int maxMessages = 1 + random.nextInt(50);
        long maxBytes = 1024 + random.nextInt(20_000);
        RateLimit limit = switch ((int) (seed % 3)) {
            case 0 -> RateLimit.messages(maxMessages);
            case 1 -> RateLimit.bytes(maxBytes);
            default -> new RateLimit(OptionalInt.of(maxMessages), OptionalLong.of(maxBytes));
        };
        RateLimiter limiter = new RateLimiter(limit, W);
        List<Sent> sent = new ArrayList<>();
        long now = 0;
        int delayed = 0;
        for (int i = 0; i < 3000; i++) {
            now += random.nextInt(4) == 0 ? random.nextLong(W / 2) : random.nextLong(W / 200);
            long bytes = random.nextInt(100) == 0 ? maxBytes + random.nextInt(5000) : random.nextInt((int) maxBytes / 4);
            long wait = limiter.delayNanos(now, bytes);
            if (wait > 0) {
                delayed++;
                now += wait;
                assertThat(limiter.delayNanos(now, bytes)).isZero();
            }
            limiter.record(now, bytes);
            sent.add(new Sent(now, bytes));
        }
        assertThat(delayed).as("the demand exceeds the limit at times").isPositive();
        // Every window (t - W, t] ending at a send.
        int from = 0;
        long bytesInWindow = 0;
        int withBytes = 0;
        for (int to = 0; to < sent.size(); to++) {
            bytesInWindow += sent.get(to).bytes();
            withBytes += sent.get(to).bytes() > 0 ? 1 : 0;
            while (sent.get(from).at() <= sent.get(to).at() - W) {
                bytesInWindow -= sent.get(from).bytes();
                withBytes -= sent.get(from).bytes() > 0 ? 1 : 0;
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
