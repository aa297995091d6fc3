package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.SpoolConfig;
import io.edgebridge.core.internal.local.Intake;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.spool.Spool;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class UpstreamIntakeTest {

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CountDownLatch writerGate = new CountDownLatch(1);
    private OneRouteSpool setting;
    private Spool spool;
    private RouteTable routes;

    @BeforeEach
    void setUp() {
        setting = new OneRouteSpool(dir, registry);
        spool = setting.spool;
        routes = setting.routes;
        // Holds the spool's writer (listeners run on it) until the test opens the gate.
        spool.onAppend(() -> {
            try {
                writerGate.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @AfterEach
    void tearDown() {
        writerGate.countDown();
        setting.close();
    }

    private double overloadDrops() {
        return registry.get("edgebridge.messages.dropped").tag("reason", "overload").counter().count();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void qos0IsShedWhileTheWriteQueueIsFullAndTakenAgainOnceItDrains() {
        UpstreamIntake intake = new UpstreamIntake(routes, spool, System::currentTimeMillis, 1000);
        // QoS 1 messages are never shed: their devices' in-flight windows bound them.
        CompletableFuture<Void> first = intake.accept("s/a", new byte[2000], 1, false);
        CompletableFuture<Void> second = intake.accept("s/a", bytes("x"), 1, false);
        assertThat(intake.pendingBytes()).isGreaterThan(2000);

        CompletableFuture<Void> shed = intake.accept("s/a", bytes("q0"), 0, false);
        assertThat(shed).isCompleted();
        assertThat(overloadDrops()).isEqualTo(1.0);
        assertThat(first).isNotDone();

        writerGate.countDown();
        first.join();
        second.join();
        assertThat(intake.pendingBytes()).isZero();

        intake.accept("s/a", bytes("q0-later"), 0, false).join();
        assertThat(overloadDrops()).isEqualTo(1.0);
        assertThat(spool.entryCount()).isEqualTo(3); // first, second, q0-later
    }

    @Test
    void unbridgedTopicsNeverCountAgainstTheBound() {
        UpstreamIntake intake = new UpstreamIntake(routes, spool, System::currentTimeMillis, 1);
        intake.accept("s/a", bytes("held"), 1, false);
        assertThat(intake.accept("other/topic", bytes("x"), 0, false)).isCompleted();
        assertThat(overloadDrops()).isZero();
    }

    /**
     * Certain means only an I/O fault can still refuse it: with refuse-new, what is stored plus
     * everything waiting (this message included) fits; with drop-oldest, always; never once stopping.
     */
    @Test
    void acceptCertain_isCertainOnlyWhileEverythingWaitingFitsBesideWhatIsStored() {
        try (Spool small = Spool.open(new SpoolConfig(dir.resolve("small"), 4096, Duration.ZERO,
                SpoolConfig.WhenFull.REFUSE_NEW), System::currentTimeMillis)) {
            UpstreamIntake intake = new UpstreamIntake(routes, small, System::currentTimeMillis);
            for (int i = 0; i < 3; i++) {
                Intake.Accepted taken = intake.acceptCertain("s/a", new byte[1000], 1, false);
                assertThat(taken.certain()).as("message %d", i).isTrue();
                taken.stored().join();
            }
            Intake.Accepted fourth = intake.acceptCertain("s/a", new byte[1000], 1, false);
            assertThat(fourth.certain()).isFalse();
            // Not certain is not refused: the spool may still make room (here: no sink holds anything).
            fourth.stored().handle((ok, e) -> null).join();
            intake.stop();
            assertThat(intake.acceptCertain("s/a", new byte[1], 1, false).certain()).isFalse();
        }
        try (Spool dropping = Spool.open(new SpoolConfig(dir.resolve("dropping"), 4096, Duration.ZERO,
                SpoolConfig.WhenFull.DROP_OLDEST), System::currentTimeMillis)) {
            UpstreamIntake intake = new UpstreamIntake(routes, dropping, System::currentTimeMillis);
            for (int i = 0; i < 10; i++) {
                Intake.Accepted taken = intake.acceptCertain("s/a", new byte[1000], 1, false);
                assertThat(taken.certain()).isTrue();
                taken.stored().join();
            }
        }
    }
}
