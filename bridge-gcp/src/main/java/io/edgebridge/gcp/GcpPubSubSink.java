package io.edgebridge.gcp;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.support.PendingSends;
import io.edgebridge.core.support.SinkThreads;
import io.edgebridge.gcp.PubSubMessages.Ready;
import io.edgebridge.gcp.PubSubMessages.Refused;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards to Google Cloud Pub/Sub with the Google Cloud client library, and (with
 * {@code downstream}) pulls a subscription into the local broker.
 *
 * <p>Upstream: each message is built and checked against Pub/Sub's limits on the caller's thread
 * (what can never be accepted is dead-lettered at once), then handed to the sink's publish thread,
 * which owns the per-topic publishers (see {@link TopicPublishers}); the library's flow control may
 * make that thread wait, never the engine's. A send completes when Pub/Sub acknowledged the
 * message's batch. The sends waiting for Pub/Sub are {@link PendingSends} without a timeout of their
 * own (the library retries them, and holds their ordering keys, for as long as it takes); at close
 * they get a little time, then fail with RETRY.
 *
 * <p>Downstream (see {@link PubSubDownstream}) goes through the sink's {@link DownstreamSubscription}.
 *
 * <p>{@link #isConnected()} is the state of the sink's gRPC channel: a transport is up. The
 * credentials (a service-account key or Application Default Credentials) are never logged; logs
 * name the endpoint and the service account's e-mail.
 */
final class GcpPubSubSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(GcpPubSubSink.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final String name;
    private final GcpPubSubOptions options;
    private final SinkContext context;
    private final ExecutorService publishThread;
    private final PendingSends pending = PendingSends.withoutTimeout();
    private final DownstreamSubscription downstreamRoutes = new DownstreamSubscription();
    private final Object lock = new Object();
    // Publish-thread state.
    private PubSubConnection connection;
    private TopicPublishers publishers;
    private String lastOpenProblem;
    // Guarded by lock.
    private boolean started;
    private boolean closed;
    private PubSubDownstream downstream;
    private volatile PubSubConnection current;

    GcpPubSubSink(String name, GcpPubSubOptions options, SinkContext context) {
        this.name = name;
        this.options = options;
        this.context = context;
        this.publishThread = SinkThreads.singleThread("edgebridge-gcp-publish-" + name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletionStage<Void> subscribe(List<String> filters, DownstreamHandler handler) {
        if (options.downstream().isEmpty()) {
            log.atError().addKeyValue("sink", name).log("downstream routes read this sink, but it has no"
                    + " 'downstream: {subscription: ...}': nothing is pulled");
        }
        return downstreamRoutes.subscribe(filters, handler);
    }

    @Override
    public CompletionStage<Void> start() {
        synchronized (lock) {
            if (closed || started) {
                return CompletableFuture.completedFuture(null);
            }
            started = true;
        }
        publishThread.execute(this::open);
        return CompletableFuture.completedFuture(null);
    }

    /** On the publish thread: credentials, channel, publishers, and the subscriber if downstream routes use it. */
    private boolean open() {
        if (connection != null) {
            return true;
        }
        try {
            connection = PubSubConnection.open(name, options.connection());
        } catch (IOException | RuntimeException e) {
            String problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            var event = problem.equals(lastOpenProblem) ? log.atDebug() : log.atError();
            event.addKeyValue("sink", name).log("cannot set up the Pub/Sub client: {}; retrying with the next"
                    + " message", problem);
            lastOpenProblem = problem;
            return false;
        }
        PubSubConnection c = connection;
        log.atInfo().addKeyValue("sink", name).addKeyValue("project", options.project())
                .log("connecting to Google Cloud Pub/Sub at {}", c.display());
        publishers = new TopicPublishers(name, options, c, publishThread,
                task -> TopicPublishers.schedule(c.executor(), this::onPublishThread, task));
        c.connect(name);
        synchronized (lock) {
            if (closed) {
                c.close();
                return false;
            }
            current = c;
            if (downstreamRoutes.hasHandler() && options.downstream().isPresent()) {
                downstream = new PubSubDownstream(name, options.project(), options.downstream().get(), c,
                        downstreamRoutes, context.meters());
                downstream.start();
            }
        }
        return true;
    }

    private void onPublishThread(Runnable task) {
        try {
            publishThread.execute(task);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        PubSubMessages.Built built = PubSubMessages.build(options.project(), message);
        if (built instanceof Refused refused) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT, refused.reason()));
        }
        Ready ready = (Ready) built;
        int bytes = PubSubMessages.requestBytes(ready.message());
        if (bytes > options.flowControl().bytes()) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT, "message of " + bytes
                    + " bytes exceeds the sink's flowControl.bytes (" + options.flowControl().bytes() + ")"));
        }
        CompletableFuture<Void> result = pending.add();
        if (result.isDone()) {
            return result; // closing
        }
        TopicPublishers.Pending p = new TopicPublishers.Pending(message.sequence(), message.route(), ready, result);
        try {
            publishThread.execute(() -> {
                if (result.isDone()) {
                    return; // failed by close()
                }
                if (!open()) {
                    result.completeExceptionally(new DeliveryException(Disposition.RETRY,
                            "the Pub/Sub client is not set up: " + lastOpenProblem));
                    return;
                }
                publishers.publish(p);
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new DeliveryException(Disposition.RETRY, "sink " + name + " is closed"));
        }
        return result;
    }

    @Override
    public boolean isConnected() {
        PubSubConnection c = current;
        return c != null && c.ready();
    }

    /** The downstream subscriber's failure, while it cannot pull (missing subscription, permission denied). */
    @Override
    public Optional<String> problem() {
        PubSubDownstream d;
        synchronized (lock) {
            d = downstream;
        }
        return d == null ? Optional.empty() : d.problem();
    }

    @Override
    public CompletionStage<Void> close() {
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
        }
        return SinkThreads.closeInBackground("edgebridge-gcp-close-" + name, () -> {
            try {
                closeNow();
            } finally {
                log.atInfo().addKeyValue("sink", name).log("disconnected from Google Cloud Pub/Sub");
            }
        });
    }

    private void closeNow() {
        PubSubDownstream d;
        synchronized (lock) {
            d = downstream;
        }
        if (d != null) {
            d.close();
        }
        // Sends the library holds get a little time to be acknowledged; the rest stay in the spool.
        pending.awaitSettled(CLOSE_WAIT);
        pending.close("sink " + name + " is closing");
        // The publishers are not shut down one by one: Publisher.shutdown() waits for everything the
        // library counts as outstanding, for ever during an outage (and, in 1.153, after an ordering
        // key failed with unsent messages). The sink owns their channel and threads: closing those ends them.
        publishThread.shutdownNow();
        PubSubConnection c = current;
        if (c == null) {
            try {
                publishThread.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            c = connection;
        }
        if (c != null) {
            c.close();
        }
    }
}
