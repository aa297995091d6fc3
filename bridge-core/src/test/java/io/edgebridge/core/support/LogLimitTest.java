package io.edgebridge.core.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimitTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final LogLimit limit = new LogLimit(Duration.ofSeconds(10), 3, now::get);

    @Test
    void admit_sameKeyWithinInterval_logsFirstOnlyThenReportsHeldBack() {
        assertThat(limit.admit("dev1")).isEqualTo(new LogLimit.Pass(true, 0));
        for (int i = 0; i < 5; i++) {
            assertThat(limit.admit("dev1").logs()).isFalse();
        }
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        LogLimit.Pass next = limit.admit("dev1");
        assertThat(next).isEqualTo(new LogLimit.Pass(true, 5));
        assertThat(next.suffix()).isEqualTo(" (5 similar not logged)");
    }

    @Test
    void admit_rotatingKeys_capsLinesPerIntervalAcrossKeys() {
        int logged = 0;
        for (int i = 0; i < 1000; i++) {
            if (limit.admit("client-" + i).logs()) {
                logged++;
            }
        }
        assertThat(logged).isEqualTo(3);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        LogLimit.Pass next = limit.admit("client-x");
        assertThat(next.logs()).isTrue();
        assertThat(next.suppressed()).isEqualTo(997);
    }

    @Test
    void admit_manyDistinctKeys_trackedKeysStayBounded() {
        LogLimit wide = new LogLimit(Duration.ofSeconds(10), 1_000_000, now::get);
        for (int i = 0; i < 25_000; i++) {
            wide.admit("k" + i);
        }
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(wide.admit("k1").logs()).isTrue();
    }

    @Test
    void suffix_nothingHeldBack_isEmpty() {
        assertThat(limit.admit().suffix()).isEmpty();
    }
}
