package io.edgebridge.core.support;

import io.edgebridge.config.Backoff;
import java.util.concurrent.ThreadLocalRandom;

/** Delay of the n-th retry (0-based) under a {@link Backoff}: doubling, capped, with jitter. */
public final class BackoffDelays {

    private BackoffDelays() {
    }

    public static long millis(Backoff backoff, int attempt) {
        double base = backoff.min().toMillis() * Math.pow(2, Math.min(Math.max(attempt, 0), 30));
        long capped = (long) Math.min(base, backoff.max().toMillis());
        long jitter = (long) (capped * backoff.jitter() * ThreadLocalRandom.current().nextDouble());
        return Math.max(0, capped - jitter);
    }
}
