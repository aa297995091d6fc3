package io.edgebridge.core.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PendingSendsTest {

    /** Stands in for the engine's shared scheduler; removes cancelled timers so that the queue shows what waits. */
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);

    {
        timer.setRemoveOnCancelPolicy(true);
    }

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    private static DeliveryException failure(CompletableFuture<Void> send) {
        assertThat(send).isCompletedExceptionally();
        Throwable cause = send.handle((v, e) -> Futures.unwrap(e)).join();
        assertThat(cause).isInstanceOf(DeliveryException.class);
        return (DeliveryException) cause;
    }

    @Test
    void add_withoutAnswer_failsAsRetryWithTheTimeoutReason_afterTheTimeout() {
        PendingSends pending = PendingSends.withTimeout(timer, Duration.ofMillis(100), "no PUBACK within 100 ms");
        long start = System.nanoTime();

        CompletableFuture<Void> send = pending.add();

        assertThatThrownBy(send::join).isInstanceOf(CompletionException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(90));
        DeliveryException e = failure(send);
        assertThat(e.disposition()).isEqualTo(Disposition.RETRY);
        assertThat(e.reason()).isEqualTo("no PUBACK within 100 ms");
        assertThat(pending.size()).isZero();
    }

    @Test
    void anAnswer_endsTheSend_andCancelsItsTimer() {
        PendingSends pending = PendingSends.withTimeout(timer, Duration.ofSeconds(60), "timeout");

        CompletableFuture<Void> ok = pending.add();
        CompletableFuture<Void> refused = pending.add();
        assertThat(timer.getQueue()).hasSize(2);
        assertThat(pending.size()).isEqualTo(2);

        ok.complete(null);
        refused.completeExceptionally(new DeliveryException(Disposition.PERMANENT, "refused"));

        assertThat(ok).isCompletedWithValue(null);
        assertThat(failure(refused).disposition()).isEqualTo(Disposition.PERMANENT);
        assertThat(timer.getQueue()).as("timers left waiting").isEmpty();
        assertThat(pending.size()).isZero();
    }

    @Test
    void aLateAnswer_afterTheTimeout_isIgnored() {
        PendingSends pending = PendingSends.withTimeout(timer, Duration.ofMillis(50), "timeout");
        CompletableFuture<Void> send = pending.add();
        await().atMost(Duration.ofSeconds(5)).until(send::isDone);

        assertThat(send.complete(null)).isFalse();

        assertThat(failure(send).reason()).isEqualTo("timeout");
        assertThat(pending.size()).isZero();
    }

    @Test
    void failAll_failsEveryWaitingSendAsRetry_andLaterSendsAreTakenAgain() {
        PendingSends pending = PendingSends.withTimeout(timer, Duration.ofSeconds(60), "timeout");
        List<CompletableFuture<Void>> sends = List.of(pending.add(), pending.add(), pending.add());
        sends.get(0).complete(null);

        pending.failAll("connection lost");

        assertThat(sends.get(0)).isCompletedWithValue(null);
        for (CompletableFuture<Void> send : sends.subList(1, 3)) {
            assertThat(failure(send).disposition()).isEqualTo(Disposition.RETRY);
            assertThat(failure(send).reason()).isEqualTo("connection lost");
        }
        assertThat(timer.getQueue()).isEmpty();
        CompletableFuture<Void> after = pending.add();
        assertThat(after).isNotDone();
        assertThat(pending.isClosed()).isFalse();
        after.complete(null);
        assertThat(after).isCompletedWithValue(null);
    }

    @Test
    void close_failsEverythingOutstanding_refusesLaterSends_andIsIdempotent() {
        PendingSends pending = PendingSends.withTimeout(timer, Duration.ofSeconds(60), "timeout");
        CompletableFuture<Void> waiting = pending.add();

        pending.close("sink aws is closing");
        pending.close("closed again");

        assertThat(pending.isClosed()).isTrue();
        assertThat(failure(waiting).disposition()).isEqualTo(Disposition.RETRY);
        assertThat(failure(waiting).reason()).isEqualTo("sink aws is closing");
        CompletableFuture<Void> later = pending.add();
        assertThat(failure(later).disposition()).isEqualTo(Disposition.RETRY);
        assertThat(failure(later).reason()).isEqualTo("sink aws is closing");
        assertThat(pending.size()).isZero();
        assertThat(timer.getQueue()).as("no timer left behind").isEmpty();
    }

    @Test
    void withoutTimeout_aSendWaitsUntilAnswered_andAwaitSettledBoundsTheWait() {
        PendingSends pending = PendingSends.withoutTimeout();
        CompletableFuture<Void> answered = pending.add();
        CompletableFuture<Void> stuck = pending.add();
        CompletableFuture.runAsync(() -> answered.complete(null), CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));

        assertThat(pending.awaitSettled(Duration.ofMillis(300))).isFalse();
        assertThat(answered).isCompletedWithValue(null);
        assertThat(stuck).isNotDone();

        stuck.completeExceptionally(new IllegalStateException("failed"));
        assertThat(pending.awaitSettled(Duration.ofMillis(300))).isTrue();
        assertThat(PendingSends.withoutTimeout().awaitSettled(Duration.ZERO)).isTrue();
    }

    @Test
    void aStoppedScheduler_failsTheSendAsRetry_insteadOfThrowing() {
        PendingSends pending = PendingSends.withTimeout(timer, Duration.ofSeconds(1), "timeout");
        timer.shutdownNow();

        CompletableFuture<Void> send = pending.add();

        assertThat(failure(send).disposition()).isEqualTo(Disposition.RETRY);
        assertThat(pending.size()).isZero();
    }

    @Test
    void manySends_answeredOrFailed_leaveNothingBehind() {
        PendingSends pending = PendingSends.withTimeout(timer, Duration.ofSeconds(60), "timeout");
        for (int i = 0; i < 1_000; i++) {
            CompletableFuture<Void> send = pending.add();
            if (i % 2 == 0) {
                send.complete(null);
            }
        }
        pending.failAll("connection lost");

        assertThat(pending.size()).isZero();
        assertThat(timer.getQueue()).isEmpty();
    }
}
