package io.edgebridge.core.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IntakeBacklogTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final IntakeBacklog backlog = new IntakeBacklog(3, 1_000, now::get);

    @Test
    void admit_belowTheBound_countsAtOnce() {
        assertThat(backlog.admit(10)).isCompleted();
        assertThat(backlog.admit(10)).isCompleted();

        assertThat(backlog.messages()).isEqualTo(2);
        assertThat(backlog.bytes()).isEqualTo(20);
    }

    @Test
    void admit_atTheMessageBound_waitsUntilTheBridgeAcknowledges_inOrder() {
        admitAll(3, 10);
        CompletableFuture<Void> first = backlog.admit(10);
        CompletableFuture<Void> second = backlog.admit(10);

        assertThat(first).isNotDone();
        assertThat(second).isNotDone();
        assertThat(backlog.waiting()).isEqualTo(2);

        backlog.arrived();
        backlog.acknowledged(10);

        assertThat(first).isCompleted();
        assertThat(second).isNotDone();
        assertThat(backlog.messages()).isEqualTo(3);
    }

    @Test
    void admit_atTheByteBound_waits_andALargeMessageStillFitsAlone() {
        backlog.admit(999);
        CompletableFuture<Void> large = backlog.admit(5_000);
        assertThat(large).isCompleted(); // below the bound when it came: counted, now over it
        CompletableFuture<Void> next = backlog.admit(1);

        assertThat(next).isNotDone();
        backlog.acknowledged(5_000);
        assertThat(next).isCompleted();
    }

    @Test
    void admit_whileOthersWait_queuesBehindThem_evenIfRoomAppeared() {
        admitAll(3, 10);
        CompletableFuture<Void> waiting = backlog.admit(10);
        backlog.acknowledged(10); // admits the waiter, the backlog is full again
        CompletableFuture<Void> later = backlog.admit(10);

        assertThat(waiting).isCompleted();
        assertThat(later).isNotDone();
    }

    @Test
    void aWaiterThatGaveUp_isNotCounted_andTheNextOneTakesItsPlace() {
        admitAll(3, 10);
        CompletableFuture<Void> gaveUp = backlog.admit(10);
        CompletableFuture<Void> patient = backlog.admit(10);
        gaveUp.completeExceptionally(new TimeoutException());

        backlog.acknowledged(10);

        assertThat(patient).isCompleted();
        assertThat(backlog.messages()).isEqualTo(3);
    }

    @Test
    void close_refusesWaitingAndLaterPublishes() {
        admitAll(3, 10);
        CompletableFuture<Void> waiting = backlog.admit(10);

        backlog.close("stopping");

        assertThat(waiting).isCompletedExceptionally();
        assertThat(backlog.admit(10)).isCompletedExceptionally();
        assertThat(backlog.messages()).isEqualTo(3);
    }

    @Test
    void forgetIfIdle_resetsADriftedCount_onlyWhenTheSessionIsConnectedIdleAndQuiet() {
        admitAll(3, 10); // e.g. messages that expired in the broker's queue: never delivered
        CompletableFuture<Void> waiting = backlog.admit(10);
        Duration quiet = Duration.ofSeconds(2);

        assertThat(backlog.forgetIfIdle(true, quiet)).as("not quiet long enough").isZero();
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        assertThat(backlog.forgetIfIdle(false, quiet)).as("session disconnected").isZero();
        backlog.arrived(); // one delivered and not yet acknowledged
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        assertThat(backlog.forgetIfIdle(true, quiet)).as("a message is being spooled").isZero();

        backlog.acknowledged(10);
        assertThat(waiting).as("the acknowledgement made room").isCompleted();
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        assertThat(backlog.forgetIfIdle(true, quiet)).isEqualTo(3);
        assertThat(backlog.messages()).isZero();
        assertThat(backlog.bytes()).isZero();
    }

    @Test
    void awaitEmpty_returnsOnceEverythingAdmittedWasAcknowledged() throws Exception {
        admitAll(2, 10);
        CompletableFuture<Long> left = CompletableFuture.supplyAsync(() -> {
            try {
                return backlog.awaitEmpty(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        backlog.acknowledged(10);
        backlog.acknowledged(10);

        assertThat(left.get()).isZero();
    }

    @Test
    void awaitEmpty_givesUpAfterItsTimeout_withWhatIsLeft() throws Exception {
        admitAll(2, 10);

        assertThat(backlog.awaitEmpty(Duration.ofMillis(50))).isEqualTo(2);
    }

    private List<CompletableFuture<Void>> admitAll(int n, long size) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CompletableFuture<Void> f = backlog.admit(size);
            assertThat(f).isCompleted();
            all.add(f);
        }
        return all;
    }
}
