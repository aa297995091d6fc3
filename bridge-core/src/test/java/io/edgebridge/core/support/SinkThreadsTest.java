package io.edgebridge.core.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SinkThreadsTest {

    @Test
    void closeInBackground_completesWhenTheCloseReturnedOrThrew_andItsThreadEnds() {
        CompletableFuture<Void> closed = SinkThreads.closeInBackground("edgebridge-test-close", () -> {
            throw new IllegalStateException("the SDK failed to close");
        });
        closed.join();
        CompletableFuture<Void> again = SinkThreads.closeInBackground("edgebridge-test-close", () -> { });
        again.join();

        await().atMost(Duration.ofSeconds(5)).until(() -> threadsNamed("edgebridge-test-close").isEmpty());
    }

    @Test
    void singleThread_isOneDaemonThreadOfTheGivenName() throws Exception {
        var executor = SinkThreads.singleThread("edgebridge-test-single");
        try {
            Thread t = executor.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
            assertThat(t.getName()).isEqualTo("edgebridge-test-single");
            assertThat(t.isDaemon()).isTrue();
            assertThat(executor.submit(Thread::currentThread).get(5, TimeUnit.SECONDS)).isSameAs(t);
        } finally {
            executor.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> threadsNamed("edgebridge-test-single").isEmpty());
    }

    private static Set<Thread> threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive())
                .collect(Collectors.toSet());
    }
}
