package io.edgebridge.core.internal.local.auth;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RefusalLogTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final RefusalLog refusals = new RefusalLog(new BridgeMetrics(registry), now::get);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(RefusalLog.class);

    @BeforeEach
    void capture() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logs);
    }

    @Test
    void everyRefusalIsCounted_butEachClientIsLoggedAtMostOncePer10Seconds_withTheSuppressedCount() {
        for (int i = 0; i < 5; i++) {
            refusals.refused(RefusalLog.Action.PUBLISH, "not-authorized", "dev1", Optional.of("alice"),
                    Optional.of("sensors/dev2/t"));
        }
        refusals.refused(RefusalLog.Action.CONNECT, "bad-credentials", "dev2", Optional.of("bob"), Optional.empty());
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        refusals.refused(RefusalLog.Action.PUBLISH, "not-authorized", "dev1", Optional.of("alice"),
                Optional.of("sensors/dev3/t"));

        assertThat(registry.get("edgebridge.local.refused").tags("action", "publish", "reason", "not-authorized")
                .counter().count()).isEqualTo(6);
        assertThat(registry.get("edgebridge.local.refused").tags("action", "connect", "reason", "bad-credentials")
                .counter().count()).isEqualTo(1);
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "local broker refused publish by client 'dev1' (user 'alice') on 'sensors/dev2/t': not-authorized",
                "local broker refused connect by client 'dev2' (user 'bob'): bad-credentials",
                "local broker refused publish by client 'dev1' (user 'alice') on 'sensors/dev3/t': not-authorized"
                        + " (4 more refusals not logged)");
    }

    @Test
    void badLoginsWithRotatingClientIds_areCountedAll_butLoggedAtMost20Per10Seconds() {
        for (int i = 0; i < 1000; i++) {
            refusals.refused(RefusalLog.Action.CONNECT, "bad-credentials", "attacker-" + i, Optional.of("admin"),
                    Optional.empty());
        }
        assertThat(registry.get("edgebridge.local.refused").tags("action", "connect", "reason", "bad-credentials")
                .counter().count()).isEqualTo(1000);
        assertThat(logs.list).hasSize(20);
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        refusals.refused(RefusalLog.Action.CONNECT, "bad-credentials", "attacker-x", Optional.of("admin"),
                Optional.empty());
        assertThat(logs.list).hasSize(21);
        assertThat(logs.list.get(20).getFormattedMessage()).endsWith("(980 more refusals not logged)");
    }
}
