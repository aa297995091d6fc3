package io.edgebridge.core.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class DownstreamSubscriptionTest {

    private final DownstreamSubscription downstream = new DownstreamSubscription();

    private static InboundMessage message(String topic) {
        return new InboundMessage(topic, "x".getBytes(StandardCharsets.UTF_8), Map.of(), Optional.empty());
    }

    @Test
    void withoutSubscribe_thereAreNoFilters_andAMessageMayBeAcknowledgedAtOnce() {
        assertThat(downstream.filters()).isEmpty();
        assertThat(downstream.hasHandler()).isFalse();
        assertThat(downstream.deliver(message("c/1")).toCompletableFuture()).isCompletedWithValue(null);
    }

    @Test
    void subscribe_keepsACopyOfTheFilters_andCompletesAtOnce() {
        List<String> filters = new ArrayList<>(List.of("commands/+", "config/#"));
        CompletionStage<Void> subscribed = downstream.subscribe(filters, m -> CompletableFuture.completedFuture(null));
        filters.clear();

        assertThat(subscribed.toCompletableFuture()).isCompletedWithValue(null);
        assertThat(downstream.filters()).containsExactly("commands/+", "config/#");
        assertThat(downstream.hasHandler()).isTrue();
    }

    @Test
    void aDeliveredMessage_mayBeAcknowledgedOnlyOnceTheHandlerTookIt() {
        CompletableFuture<Void> taken = new CompletableFuture<>();
        List<InboundMessage> handled = new ArrayList<>();
        downstream.subscribe(List.of("c/#"), m -> {
            handled.add(m);
            return taken;
        });
        InboundMessage message = message("c/1");

        CompletableFuture<Void> delivered = downstream.deliver(message).toCompletableFuture();
        assertThat(handled).containsExactly(message);
        assertThat(delivered).isNotDone();
        taken.complete(null);
        assertThat(delivered).isCompletedWithValue(null);
    }

    @Test
    void aHandlerThatFailsOrThrows_leavesTheMessageUnacknowledged() {
        downstream.subscribe(List.of("c/#"), m -> m.topic().equals("c/throws")
                ? failWith(new IllegalStateException("broken"))
                : CompletableFuture.failedFuture(new IllegalStateException("local broker down")));

        assertThat(downstream.deliver(message("c/fails")).toCompletableFuture()).isCompletedExceptionally();
        assertThat(downstream.deliver(message("c/throws")).toCompletableFuture()).isCompletedExceptionally();
    }

    @Test
    void request_withoutHandler_hasNoRoute_andReject_isIgnored() {
        downstream.reject("invalid deviceId");

        assertThat(downstream.request(message("m/reboot"), Duration.ofSeconds(1)).toCompletableFuture())
                .isCompletedWithValue(new RequestOutcome.NoRoute());
    }

    @Test
    void request_andReject_reachTheHandler_andAFailingHandlerMakesAFailedOutcome() {
        List<String> rejected = new ArrayList<>();
        RequestOutcome answered = new RequestOutcome.Answered(new byte[0], Map.of(), Optional.empty());
        downstream.subscribe(List.of("m/#"), new DownstreamHandler() {
            @Override
            public CompletionStage<Void> onMessage(InboundMessage message) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public CompletionStage<RequestOutcome> onRequest(InboundMessage request, Duration timeout) {
                return switch (request.topic()) {
                    case "m/throws" -> throw new IllegalStateException("broken");
                    case "m/fails" -> CompletableFuture.failedFuture(new IllegalStateException("failed"));
                    default -> CompletableFuture.completedFuture(answered);
                };
            }

            @Override
            public void onRejected(String reason) {
                rejected.add(reason);
            }
        });

        downstream.reject("invalid deviceId");
        assertThat(rejected).containsExactly("invalid deviceId");
        assertThat(downstream.request(message("m/reboot"), Duration.ofSeconds(1)).toCompletableFuture())
                .isCompletedWithValue(answered);
        assertThat(downstream.request(message("m/throws"), Duration.ofSeconds(1)).toCompletableFuture().join())
                .isInstanceOfSatisfying(RequestOutcome.Failed.class, f -> assertThat(f.reason()).contains("broken"));
        assertThat(downstream.request(message("m/fails"), Duration.ofSeconds(1)).toCompletableFuture().join())
                .isInstanceOfSatisfying(RequestOutcome.Failed.class, f -> assertThat(f.reason()).contains("failed"));
    }

    private static CompletionStage<Void> failWith(RuntimeException e) {
        throw e;
    }
}
