package io.edgebridge.config;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A sink's {@code rateLimit}: at most this many messages and payload bytes per second, over every
 * sliding one-second window; at least one of the two is set.
 *
 * @param messagesPerSecond sends per second (1..1,000,000); every attempt counts, retries included
 * @param bytesPerSecond    payload bytes per second (at least 1KB)
 */
public record RateLimit(OptionalInt messagesPerSecond, OptionalLong bytesPerSecond) {

    public RateLimit {
        if (messagesPerSecond.isEmpty() && bytesPerSecond.isEmpty()) {
            throw new IllegalArgumentException("a rate limit needs messages, bytes or both");
        }
    }

    public static RateLimit messages(int perSecond) {
        return new RateLimit(OptionalInt.of(perSecond), OptionalLong.empty());
    }

    public static RateLimit bytes(long perSecond) {
        return new RateLimit(OptionalInt.empty(), OptionalLong.of(perSecond));
    }
}
