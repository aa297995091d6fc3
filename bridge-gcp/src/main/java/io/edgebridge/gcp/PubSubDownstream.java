package io.edgebridge.gcp;

import com.google.api.core.ApiService;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.cloud.pubsub.v1.AckReplyConsumer;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.pubsub.v1.PubsubMessage;
import io.edgebridge.config.Backoff;
import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.support.BackoffDelays;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.gcp.GcpPubSubOptions.Downstream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downstream half of a {@code gcp-pubsub} sink: a streaming-pull subscriber whose messages are
 * routed under {@code downstream.topic}, rendered from their attributes, and handed to the sink's
 * {@link DownstreamSubscription}.
 *
 * <p>A message is acknowledged only after the handler's stage completed normally (the local
 * broker's PUBACK); it is nacked (Pub/Sub redelivers it) when the stage fails or does not complete
 * within {@code downstream.timeout}. Timing out gives the stage up ({@code orTimeout}), so the bridge
 * withdraws the local publish still waiting for the broker: the redelivery is the message's only copy
 * in the bridge, and its Pub/Sub message id tells the bridge it is a redelivery. A message whose
 * attributes would make an invalid topic level is acknowledged without being published (so it is not
 * redelivered for ever) and reported to the handler, which counts and logs it. The library's flow
 * control bounds the messages and bytes held between delivery and acknowledgement; it extends their
 * ack deadlines meanwhile.
 *
 * <p>When the subscriber fails (e.g. the subscription does not exist yet, or permission is
 * denied) a new one is started after a backoff that doubles from 1 s to 60 s, with jitter; the
 * failure is the sink's {@link #problem()} (it makes the bridge not ready) until a subscriber has run
 * for {@link #STABLE} or received a message. Such failures are logged at most once per 10 s.
 */
final class PubSubDownstream {

    private static final Logger log = LoggerFactory.getLogger(PubSubDownstream.class);
    private static final Backoff RESTART = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), 0.3);
    /** How long a subscriber must run without failing before its backoff and problem are cleared. */
    static final Duration STABLE = Duration.ofSeconds(10);

    private final String sink;
    private final String subscription;
    private final Downstream options;
    private final PubSubConnection connection;
    private final DownstreamSubscription downstream;
    private final Counter delivered;
    private final Counter rejected;
    private final Counter nacked;
    private final LogLimit logLimit = new LogLimit();
    private final Object lock = new Object();
    private Subscriber subscriber; // guarded by lock
    private boolean closed; // guarded by lock
    private int failures; // guarded by lock
    private ScheduledFuture<?> stableCheck; // guarded by lock
    private volatile String problem;

    PubSubDownstream(String sink, String project, Downstream options, PubSubConnection connection,
            DownstreamSubscription downstream, MeterRegistry meters) {
        this.sink = sink;
        this.subscription = ((PubSubNames.Resolved) PubSubNames.resolve(project, "subscriptions",
                options.subscription())).fullName();
        this.options = options;
        this.connection = connection;
        this.downstream = downstream;
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
                    // Running is not working yet: a missing subscription fails the stream right after.
                    synchronized (lock) {
                        if (subscriber == s && !closed) {
                            stableCheck = connection.executor().schedule(() -> stable(s), STABLE.toMillis(),
                                    TimeUnit.MILLISECONDS);
                        }
                    }
                    log.atDebug().addKeyValue("sink", sink).addKeyValue("subscription", subscription)
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
            if (stableCheck != null) {
                stableCheck.cancel(false);
            }
            delay = BackoffDelays.millis(RESTART, failures);
            failures++;
        }
        problem = "the Pub/Sub subscription " + subscription + " cannot be pulled: " + describe(failure);
        LogLimit.Pass pass = logLimit.admit();
        if (pass.logs()) {
            log.atWarn().addKeyValue("sink", sink).addKeyValue("subscription", subscription)
                    .addKeyValue("failures", failures)
                    .log("the Pub/Sub subscriber stopped ({}); starting a new one in {} ms{}", describe(failure), delay,
                            pass.suffix());
        }
        connection.executor().schedule(this::start, delay, TimeUnit.MILLISECONDS);
    }

    /** A subscriber ran {@link #STABLE} without failing: it works. */
    private void stable(Subscriber s) {
        synchronized (lock) {
            if (subscriber != s || closed || !s.isRunning()) {
                return;
            }
            failures = 0;
        }
        if (problem != null) {
            problem = null;
            log.atInfo().addKeyValue("sink", sink).addKeyValue("subscription", subscription)
                    .log("the Pub/Sub subscriber is pulling again");
        }
    }

    /** Why the subscription cannot be pulled, while that lasts. */
    Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    /**
     * The innermost cause with a message: the library wraps the server's answer (e.g. "NOT_FOUND:
     * Resource not found") in service-state exceptions whose own messages say nothing.
     */
    static String describe(Throwable failure) {
        String described = null;
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
            if (t.getMessage() != null) {
                described = t.getMessage();
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return described == null ? failure.getClass().getSimpleName() : described;
    }

    /** The library's callback (on the sink's threads): hand over, then settle when the local broker answered. */
    private void receive(PubsubMessage message, AckReplyConsumer reply) {
        if (problem != null) {
            synchronized (lock) {
                failures = 0;
            }
            problem = null; // a message arrived: the subscription works
        }
        Map<String, String> attributes = new LinkedHashMap<>(message.getAttributesMap());
        CloudTopic.Result routed = CloudTopic.render(options.topic(), attributes, "attribute");
        if (routed instanceof CloudTopic.Rejected r) {
            reply.ack();
            rejected.increment();
            downstream.reject("Pub/Sub message " + message.getMessageId() + " from " + subscription + ": "
                    + r.reason());
            return;
        }
        InboundMessage inbound = new InboundMessage(((CloudTopic.Routed) routed).topic(),
                message.getData().toByteArray(), attributes, Optional.empty(), Optional.of(message.getMessageId()),
                true); // a Pub/Sub message id names one message for good
        // orTimeout completes the handler's own stage: that is how the handler learns it was given up.
        downstream.deliver(inbound).toCompletableFuture().orTimeout(options.timeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((ok, error) -> {
            if (error == null) {
                reply.ack();
                delivered.increment();
            } else {
                reply.nack();
                nacked.increment();
                LogLimit.Pass pass = logLimit.admit("nack");
                if (pass.logs()) {
                    log.atWarn().addKeyValue("sink", sink).addKeyValue("subscription", subscription)
                            .addKeyValue("messageId", message.getMessageId()).addKeyValue("topic", inbound.topic())
                            .log("nacked a Pub/Sub message (Pub/Sub redelivers it): {}{}", describe(error),
                                    pass.suffix());
                }
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
