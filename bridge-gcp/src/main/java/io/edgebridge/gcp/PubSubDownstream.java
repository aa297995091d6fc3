package io.edgebridge.gcp;

import com.google.api.core.ApiService;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.cloud.pubsub.v1.AckReplyConsumer;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.pubsub.v1.PubsubMessage;
import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.gcp.GcpPubSubOptions.Downstream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downstream half of a {@code gcp-pubsub} sink: a streaming-pull subscriber whose messages are
 * routed under {@code downstream.topic}, rendered from their attributes.
 *
 * <p>A message is acknowledged only after the handler's stage completed normally (the local
 * broker's PUBACK); it is nacked (Pub/Sub redelivers it) when the stage fails or does not complete
 * within {@code downstream.timeout}. A message whose attributes would make an invalid topic level
 * is acknowledged without being published (so it is not redelivered for ever), counted as
 * rejected and logged without its payload. The library's flow control bounds the messages and
 * bytes held between delivery and acknowledgement; it extends their ack deadlines meanwhile.
 *
 * <p>When the subscriber fails (e.g. the subscription does not exist yet, or permission is
 * denied) a new one is started after a backoff.
 */
final class PubSubDownstream {

    private static final Logger log = LoggerFactory.getLogger(PubSubDownstream.class);
    private static final Duration MIN_RESTART = Duration.ofSeconds(1);
    private static final Duration MAX_RESTART = Duration.ofSeconds(60);

    private final String sink;
    private final String subscription;
    private final Downstream options;
    private final PubSubConnection connection;
    private final DownstreamHandler handler;
    private final Counter delivered;
    private final Counter rejected;
    private final Counter nacked;
    private final Object lock = new Object();
    private Subscriber subscriber; // guarded by lock
    private boolean closed; // guarded by lock
    private int failures; // guarded by lock

    PubSubDownstream(String sink, String project, Downstream options, PubSubConnection connection,
            DownstreamHandler handler, MeterRegistry meters) {
        this.sink = sink;
        this.subscription = ((PubSubNames.Resolved) PubSubNames.resolve(project, "subscriptions",
                options.subscription())).fullName();
        this.options = options;
        this.connection = connection;
        this.handler = handler;
        this.delivered = counter(meters, "delivered");
        this.rejected = counter(meters, "rejected");
        this.nacked = counter(meters, "nacked");
    }

    private Counter counter(MeterRegistry meters, String result) {
        return Counter.builder("edgebridge.gcp.downstream")
                .description("Messages pulled from the Pub/Sub subscription, by how they were settled")
                .tag("sink", sink).tag("result", result).register(meters);
    }

    void start() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            Subscriber s = Subscriber.newBuilder(subscription, this::receive)
                    .setChannelProvider(connection.channelProvider())
                    .setCredentialsProvider(connection.credentials())
                    .setExecutorProvider(FixedExecutorProvider.create(connection.executor()))
                    .setSystemExecutorProvider(FixedExecutorProvider.create(connection.executor()))
                    .setParallelPullCount(1)
                    .setFlowControlSettings(FlowControlSettings.newBuilder()
                            .setMaxOutstandingElementCount(options.flowControl().messages())
                            .setMaxOutstandingRequestBytes(options.flowControl().bytes())
                            .build())
                    .build();
            s.addListener(new ApiService.Listener() {
                @Override
                public void running() {
                    synchronized (lock) {
                        failures = 0;
                    }
                    log.atInfo().addKeyValue("sink", sink).addKeyValue("subscription", subscription)
                            .log("subscriber started (streaming pull)");
                }

                @Override
                public void failed(ApiService.State from, Throwable failure) {
                    restart(s, failure);
                }
            }, connection.executor());
            subscriber = s;
            s.startAsync();
        }
    }

    private void restart(Subscriber failed, Throwable failure) {
        long delay;
        synchronized (lock) {
            if (closed || subscriber != failed) {
                return;
            }
            delay = Math.min(MAX_RESTART.toMillis(), MIN_RESTART.toMillis() << Math.min(failures, 6));
            failures++;
        }
        log.atWarn().addKeyValue("sink", sink).addKeyValue("subscription", subscription)
                .log("the Pub/Sub subscriber stopped ({}); starting a new one in {} ms", describe(failure), delay);
        connection.executor().schedule(this::start, delay, TimeUnit.MILLISECONDS);
    }

    private static String describe(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** The library's callback (on the sink's threads): hand over, then settle when the local broker answered. */
    private void receive(PubsubMessage message, AckReplyConsumer reply) {
        Map<String, String> attributes = new LinkedHashMap<>(message.getAttributesMap());
        CloudTopic.Result routed = CloudTopic.render(options.topic(), attributes, "attribute");
        if (routed instanceof CloudTopic.Rejected r) {
            reply.ack();
            rejected.increment();
            log.atWarn().addKeyValue("sink", sink).addKeyValue("subscription", subscription)
                    .addKeyValue("messageId", message.getMessageId())
                    .log("rejected a Pub/Sub message (acknowledged, not published locally): {}", r.reason());
            return;
        }
        InboundMessage inbound = new InboundMessage(((CloudTopic.Routed) routed).topic(),
                message.getData().toByteArray(), attributes, Optional.empty());
        CompletableFuture<Void> local;
        try {
            local = handler.onMessage(inbound).toCompletableFuture();
        } catch (RuntimeException e) {
            local = CompletableFuture.failedFuture(e);
        }
        local.orTimeout(options.timeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((ok, error) -> {
            if (error == null) {
                reply.ack();
                delivered.increment();
            } else {
                reply.nack();
                nacked.increment();
                log.atWarn().addKeyValue("sink", sink).addKeyValue("subscription", subscription)
                        .addKeyValue("messageId", message.getMessageId()).addKeyValue("topic", inbound.topic())
                        .log("nacked a Pub/Sub message (Pub/Sub redelivers it): {}", describe(error));
            }
        });
    }

    /** Stops pulling; messages not yet acknowledged are redelivered by Pub/Sub later. Bounded. */
    void close() {
        Subscriber s;
        synchronized (lock) {
            closed = true;
            s = subscriber;
        }
        if (s != null) {
            try {
                s.stopAsync().awaitTerminated(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.atDebug().addKeyValue("sink", sink).log("the Pub/Sub subscriber did not stop in time: {}",
                        e.toString());
            }
        }
    }
}
