package io.edgebridge.gcp;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.pubsub.v1.Publisher;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.support.Futures;
import io.edgebridge.gcp.PubSubMessages.Ready;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's publishers, one per Pub/Sub topic (created at its first message, all with message
 * ordering enabled), and the order of messages per ordering key across failures.
 *
 * <p>Transient errors (UNAVAILABLE, DEADLINE_EXCEEDED, ...) are retried by the client library
 * itself, batch by batch, for as long as it takes (with message ordering on, the library never
 * gives up); per ordering key it has one batch in flight, so order holds through an outage. Any
 * other error fails the batch, and the library pauses its ordering key: every later message with
 * that key fails too until {@link Publisher#resumePublish} is called. The engine retries those
 * messages, but they come back in the order their failures were seen, not in spool order. So a
 * paused key here holds every message sent for it until each failed message that the engine
 * retries has come back (or {@link #AWAIT_RETRIES} passed, e.g. because a failover group sent it
 * elsewhere), then resumes the key and publishes what it holds in spool-sequence order.
 *
 * <p>Confined to the sink's publish thread: every method and every library callback runs there.
 */
final class TopicPublishers {

    private static final Logger log = LoggerFactory.getLogger(TopicPublishers.class);
    /** How long a paused ordering key waits for the engine to send its failed messages again. */
    static final Duration AWAIT_RETRIES = Duration.ofSeconds(60);
    private static final Duration WARN_INTERVAL = Duration.ofSeconds(10);
    private static final RetrySettings RETRY = RetrySettings.newBuilder()
            .setInitialRetryDelayDuration(Duration.ofMillis(100))
            .setRetryDelayMultiplier(2)
            .setMaxRetryDelayDuration(Duration.ofSeconds(10))
            .setInitialRpcTimeoutDuration(Duration.ofSeconds(10))
            .setRpcTimeoutMultiplier(1.5)
            .setMaxRpcTimeoutDuration(Duration.ofSeconds(60))
            .setTotalTimeoutDuration(Duration.ofMinutes(10)) // message ordering makes it unlimited
            .build();

    /** One message on its way: what the engine waits for. */
    record Pending(long sequence, String route, Ready message, CompletableFuture<Void> result) {

        Key id() {
            return new Key(sequence, route);
        }
    }

    private record Key(long sequence, String route) {
    }

    private record OrderingKey(String topic, String key) {
    }

    /** A paused or busy ordering key. */
    private static final class Lane {
        int inClient;
        boolean paused;
        long pausedAtNanos;
        boolean expiryScheduled;
        /** Failed messages the engine will send again, counted (one spool entry may have two targets here). */
        final Map<Key, Integer> awaiting = new HashMap<>();
        /** Sends held while paused, by spool sequence. */
        final TreeMap<Long, ArrayDeque<Pending>> held = new TreeMap<>();
    }

    private final String sink;
    private final GcpPubSubOptions options;
    private final PubSubConnection connection;
    private final Executor thread;
    private final Consumer<Runnable> later;
    private final Map<String, Publisher> publishers = new HashMap<>();
    private final Map<OrderingKey, Lane> lanes = new HashMap<>();
    private long lastPauseWarnNanos = System.nanoTime() - WARN_INTERVAL.toNanos();
    private int pausedSinceWarning;

    /**
     * @param thread the sink's publish thread, where library callbacks run
     * @param later  runs a task on the publish thread after {@link #AWAIT_RETRIES}
     */
    TopicPublishers(String sink, GcpPubSubOptions options, PubSubConnection connection, Executor thread,
            Consumer<Runnable> later) {
        this.sink = sink;
        this.options = options;
        this.connection = connection;
        this.thread = thread;
        this.later = later;
    }

    /** Publishes {@code pending}, now or (for a paused ordering key) once its key resumes. */
    void publish(Pending pending) {
        Publisher publisher;
        try {
            publisher = publisher(pending.message().topic());
        } catch (IOException | RuntimeException e) {
            pending.result().completeExceptionally(new DeliveryException(Disposition.RETRY,
                    "cannot create a Pub/Sub publisher for " + pending.message().topic() + ": " + e.getMessage()));
            return;
        }
        String key = pending.message().orderingKey();
        if (key.isEmpty()) {
            send(publisher, null, null, pending);
            return;
        }
        OrderingKey ok = new OrderingKey(pending.message().topic(), key);
        Lane lane = lanes.computeIfAbsent(ok, k -> new Lane());
        if (lane.paused) {
            lane.awaiting.computeIfPresent(pending.id(), (k, n) -> n > 1 ? n - 1 : null);
            lane.held.computeIfAbsent(pending.sequence(), s -> new ArrayDeque<>()).addLast(pending);
            resumeIfReady(publisher, ok, lane);
        } else {
            send(publisher, ok, lane, pending);
        }
    }

    private void send(Publisher publisher, OrderingKey ok, Lane lane, Pending pending) {
        String topic = pending.message().topic();
        if (lane != null) {
            lane.inClient++;
        }
        ApiFuture<String> published = publisher.publish(pending.message().message());
        ApiFutures.addCallback(published, new ApiFutureCallback<>() {
            @Override
            public void onSuccess(String messageId) {
                pending.result().complete(null);
                if (lane != null) {
                    lane.inClient--;
                    forgetIfIdle(ok, lane);
                }
            }

            @Override
            public void onFailure(Throwable error) {
                DeliveryException failure = classify(error, topic, lane != null);
                if (lane != null) {
                    lane.inClient--;
                    if (!lane.paused) {
                        lane.paused = true;
                        pausedWarning(topic, ok.key(), failure.reason());
                    }
                    lane.pausedAtNanos = System.nanoTime();
                    if (failure.disposition() == Disposition.RETRY) {
                        lane.awaiting.merge(pending.id(), 1, Integer::sum);
                    }
                    pending.result().completeExceptionally(failure);
                    resumeIfReady(publisher, ok, lane);
                } else {
                    pending.result().completeExceptionally(failure);
                }
            }
        }, thread);
    }

    /** One warning per {@link #WARN_INTERVAL} for keys that pause (an outage pauses every key), the rest at debug. */
    private void pausedWarning(String topic, String key, String reason) {
        long now = System.nanoTime();
        if (now - lastPauseWarnNanos >= WARN_INTERVAL.toNanos()) {
            lastPauseWarnNanos = now;
            log.atWarn().addKeyValue("sink", sink).addKeyValue("topic", topic).addKeyValue("orderingKey", key)
                    .log("publishing failed; the ordering key waits until its failed messages are retried, in order"
                            + " ({} more keys paused since the last warning): {}", pausedSinceWarning, reason);
            pausedSinceWarning = 0;
        } else {
            pausedSinceWarning++;
            log.atDebug().addKeyValue("sink", sink).addKeyValue("topic", topic).addKeyValue("orderingKey", key)
                    .log("ordering key paused: {}", reason);
        }
    }

    /** Resumes a paused key once nothing of it is in the library and its failed messages are back (or overdue). */
    private void resumeIfReady(Publisher publisher, OrderingKey ok, Lane lane) {
        if (!lane.paused || lane.inClient > 0) {
            return;
        }
        boolean overdue = System.nanoTime() - lane.pausedAtNanos >= AWAIT_RETRIES.toNanos();
        if (!lane.awaiting.isEmpty() && !overdue) {
            if (!lane.expiryScheduled) {
                lane.expiryScheduled = true;
                later.accept(() -> {
                    lane.expiryScheduled = false;
                    if (lanes.get(ok) == lane) {
                        resumeIfReady(publisher, ok, lane);
                    }
                });
            }
            return;
        }
        if (!lane.awaiting.isEmpty()) {
            log.atWarn().addKeyValue("sink", sink).addKeyValue("topic", ok.topic()).addKeyValue("orderingKey", ok.key())
                    .log("{} failed messages were not sent again within {}; resuming the ordering key without them",
                            lane.awaiting.size(), AWAIT_RETRIES);
            lane.awaiting.clear();
        }
        publisher.resumePublish(ok.key());
        lane.paused = false;
        List<Pending> held = new ArrayList<>();
        lane.held.values().forEach(held::addAll);
        lane.held.clear();
        log.atDebug().addKeyValue("sink", sink).addKeyValue("topic", ok.topic()).addKeyValue("orderingKey", ok.key())
                .log("ordering key resumed; publishing {} held messages in order", held.size());
        for (Pending p : held) {
            if (!p.result().isDone()) {
                send(publisher, ok, lane, p);
            }
        }
        forgetIfIdle(ok, lane);
    }

    private void forgetIfIdle(OrderingKey ok, Lane lane) {
        if (!lane.paused && lane.inClient == 0 && lane.held.isEmpty()) {
            lanes.remove(ok, lane);
        }
    }

    private Publisher publisher(String topic) throws IOException {
        Publisher publisher = publishers.get(topic);
        if (publisher == null) {
            GcpPubSubOptions.Batching b = options.batching();
            GcpPubSubOptions.FlowControl f = options.flowControl();
            publisher = Publisher.newBuilder(topic)
                    .setChannelProvider(connection.channelProvider())
                    .setCredentialsProvider(connection.credentials())
                    .setExecutorProvider(FixedExecutorProvider.create(connection.executor()))
                    .setEnableMessageOrdering(true)
                    .setRetrySettings(RETRY)
                    .setBatchingSettings(BatchingSettings.newBuilder()
                            .setElementCountThreshold(b.messages())
                            .setRequestByteThreshold(b.bytes())
                            .setDelayThresholdDuration(b.delay())
                            .setFlowControlSettings(FlowControlSettings.newBuilder()
                                    .setMaxOutstandingElementCount(f.messages())
                                    .setMaxOutstandingRequestBytes(f.bytes())
                                    .setLimitExceededBehavior(FlowController.LimitExceededBehavior.Block)
                                    .build())
                            .build())
                    .build();
            publishers.put(topic, publisher);
            log.atInfo().addKeyValue("sink", sink).addKeyValue("topic", topic).log("publishing to Pub/Sub topic");
        }
        return publisher;
    }

    /** What the engine should do after the library failed a publish. */
    static DeliveryException classify(Throwable error, String topic, boolean ordered) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof ApiException api) {
            String code = api.getStatusCode().getCode().name();
            String reason = "Pub/Sub: " + code + (api.getMessage() == null ? "" : " (" + api.getMessage() + ")");
            return switch (api.getStatusCode().getCode()) {
                // A refused batch: without an ordering key a retry batches differently and may pass; a
                // message with one cannot wait for that without holding back its whole key.
                case INVALID_ARGUMENT -> new DeliveryException(ordered ? Disposition.PERMANENT : Disposition.REJECTED,
                        reason, api);
                case NOT_FOUND -> new DeliveryException(Disposition.RETRY, "Pub/Sub topic " + topic
                        + " does not exist (NOT_FOUND); messages wait in the spool until it is created", api);
                case PERMISSION_DENIED, UNAUTHENTICATED -> new DeliveryException(Disposition.RETRY, reason
                        + "; the service account needs roles/pubsub.publisher on " + topic, api);
                default -> new DeliveryException(Disposition.RETRY, reason, api);
            };
        }
        if (cause instanceof CancellationException) {
            return new DeliveryException(Disposition.RETRY,
                    "an earlier message with the same ordering key failed; sent again in order", cause);
        }
        return new DeliveryException(Disposition.RETRY, "Pub/Sub publish failed: " + cause, cause);
    }

    /** Schedules on the publish thread, for {@link #later}. */
    static void schedule(java.util.concurrent.ScheduledExecutorService scheduler, Executor thread, Runnable task) {
        scheduler.schedule(() -> thread.execute(task), AWAIT_RETRIES.toMillis() + 100, TimeUnit.MILLISECONDS);
    }
}
