package io.edgebridge.gcp;

import com.google.protobuf.Empty;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.GetSubscriptionRequest;
import com.google.pubsub.v1.GetTopicRequest;
import com.google.pubsub.v1.ModifyAckDeadlineRequest;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PublisherGrpc;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.StreamingPullRequest;
import com.google.pubsub.v1.StreamingPullResponse;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.SubscriberGrpc;
import com.google.pubsub.v1.Topic;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Google Cloud Pub/Sub stand-in: a gRPC server on 127.0.0.1 (an ephemeral port) implementing
 * the Publisher and Subscriber services from the published stubs ({@code grpc-google-cloud-pubsub-v1})
 * as far as the client library calls them: Publish, Get/Create Topic, StreamingPull, Acknowledge,
 * ModifyAckDeadline (0 = nack, redelivered at once), Get/Create Subscription. It records every
 * published message with its attributes and ordering key and the headers of every call, can answer
 * UNAVAILABLE (or another code) instead of publishing, and can inject messages into a
 * subscription; a message not acknowledged within its ack deadline is redelivered.
 */
final class PubSubStandIn implements AutoCloseable {

    /** A message published to the stand-in. */
    record Published(String topic, PubsubMessage message, long request) {

        String payload() {
            return message.getData().toStringUtf8();
        }
    }

    /** A message of a subscription, with its delivery state. */
    static final class Queued {
        final String id;
        final PubsubMessage message;
        final AtomicInteger deliveries = new AtomicInteger();
        volatile String ackId;
        volatile long deadlineNanos;

        Queued(String id, PubsubMessage message) {
            this.id = id;
            this.message = message;
        }
    }

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final Server server;
    private final List<Published> published = new CopyOnWriteArrayList<>();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicBoolean unavailable = new AtomicBoolean();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile Status.Code failWith = Status.Code.UNAVAILABLE;
    /** Topics (full names) whose publishes are refused, with the status code. */
    private final Map<String, Status.Code> refusedTopics = new ConcurrentHashMap<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    /** Subscription events in order: "deliver:<id>", "ack:<id>", "nack:<id>". */
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final Map<String, Queued> byAckId = new ConcurrentHashMap<>();
    private final java.util.concurrent.LinkedBlockingDeque<Queued> ready = new java.util.concurrent.LinkedBlockingDeque<>();
    private final List<Thread> senders = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger streamingPulls = new AtomicInteger();
    private volatile boolean subscriptionMissing;
    private volatile boolean closed;

    private PubSubStandIn(Server server) {
        this.server = server;
    }

    /** A plaintext stand-in, as the emulator. */
    static PubSubStandIn start() throws IOException {
        return start(null, null);
    }

    /** With TLS ({@code certificate} and {@code key} PEM files) when given. */
    static PubSubStandIn start(Path certificate, Path key) throws IOException {
        PubSubStandIn[] self = new PubSubStandIn[1];
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .permitKeepAliveTime(1, TimeUnit.SECONDS).permitKeepAliveWithoutCalls(true);
        if (certificate != null) {
            builder.sslContext(GrpcSslContexts.forServer(certificate.toFile(), key.toFile()).build());
        }
        ServerInterceptor headers = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata metadata,
                    ServerCallHandler<Q, R> next) {
                Optional.ofNullable(metadata.get(AUTHORIZATION)).ifPresent(a -> self[0].authorizations.add(a));
                return next.startCall(call, metadata);
            }
        };
        Lazy lazy = new Lazy(self);
        Server server = builder.addService(ServerInterceptors.intercept(lazy.publisher(), headers))
                .addService(ServerInterceptors.intercept(lazy.subscriber(), headers)).build();
        self[0] = new PubSubStandIn(server);
        server.start();
        return self[0];
    }

    /** The services, calling into the stand-in once it exists. */
    private record Lazy(PubSubStandIn[] self) {

        PublisherGrpc.PublisherImplBase publisher() {
            return new PublisherGrpc.PublisherImplBase() {
                @Override
                public void publish(PublishRequest request, StreamObserver<PublishResponse> response) {
                    self[0].onPublish(request, response);
                }

                @Override
                public void getTopic(GetTopicRequest request, StreamObserver<Topic> response) {
                    response.onNext(Topic.newBuilder().setName(request.getTopic()).build());
                    response.onCompleted();
                }

                @Override
                public void createTopic(Topic request, StreamObserver<Topic> response) {
                    response.onNext(request);
                    response.onCompleted();
                }
            };
        }

        SubscriberGrpc.SubscriberImplBase subscriber() {
            return new SubscriberGrpc.SubscriberImplBase() {
                @Override
                public StreamObserver<StreamingPullRequest> streamingPull(
                        StreamObserver<StreamingPullResponse> response) {
                    return self[0].onStreamingPull((ServerCallStreamObserver<StreamingPullResponse>) response);
                }

                @Override
                public void acknowledge(AcknowledgeRequest request, StreamObserver<Empty> response) {
                    request.getAckIdsList().forEach(self[0]::ack);
                    response.onNext(Empty.getDefaultInstance());
                    response.onCompleted();
                }

                @Override
                public void modifyAckDeadline(ModifyAckDeadlineRequest request, StreamObserver<Empty> response) {
                    request.getAckIdsList().forEach(id -> self[0].modify(id, request.getAckDeadlineSeconds()));
                    response.onNext(Empty.getDefaultInstance());
                    response.onCompleted();
                }

                @Override
                public void getSubscription(GetSubscriptionRequest request, StreamObserver<Subscription> response) {
                    response.onNext(Subscription.newBuilder().setName(request.getSubscription()).build());
                    response.onCompleted();
                }

                @Override
                public void createSubscription(Subscription request, StreamObserver<Subscription> response) {
                    response.onNext(request);
                    response.onCompleted();
                }
            };
        }
    }

    int port() {
        return server.getPort();
    }

    String hostPort() {
        return "127.0.0.1:" + port();
    }

    // ------------------------------------------------------------------ publishing

    private void onPublish(PublishRequest request, StreamObserver<PublishResponse> response) {
        long n = requests.incrementAndGet();
        if (unavailable.get()) {
            refused.incrementAndGet();
            response.onError(Status.UNAVAILABLE.withDescription("stand-in is unavailable").asRuntimeException());
            return;
        }
        if (failNext.getAndUpdate(k -> Math.max(0, k - 1)) > 0) {
            refused.incrementAndGet();
            response.onError(Status.fromCode(failWith).withDescription("stand-in fails this request")
                    .asRuntimeException());
            return;
        }
        Status.Code refusal = refusedTopics.get(request.getTopic());
        if (refusal != null) {
            refused.incrementAndGet();
            response.onError(Status.fromCode(refusal).withDescription("stand-in refuses " + request.getTopic())
                    .asRuntimeException());
            return;
        }
        PublishResponse.Builder ids = PublishResponse.newBuilder();
        for (PubsubMessage m : request.getMessagesList()) {
            published.add(new Published(request.getTopic(), m, n));
            ids.addMessageIds(Long.toString(this.ids.incrementAndGet()));
        }
        response.onNext(ids.build());
        response.onCompleted();
    }

    /** While true, every Publish is answered UNAVAILABLE and nothing is recorded. */
    void unavailable(boolean value) {
        unavailable.set(value);
    }

    /** Every Publish to {@code topic} (a full name) fails with {@code code}, from now on. */
    void refuseTopic(String topic, Status.Code code) {
        refusedTopics.put(topic, code);
    }

    /** The next {@code count} Publish requests fail with {@code code}. */
    void failPublishes(Status.Code code, int count) {
        failWith = code;
        failNext.set(count);
    }

    List<Published> published() {
        return published;
    }

    /** Publish requests answered, successful or not. */
    long requests() {
        return requests.get();
    }

    /** Publish requests answered with an error. */
    long refused() {
        return refused.get();
    }

    /** The {@code authorization} header of every call, in order. */
    List<String> authorizations() {
        return authorizations;
    }

    // ------------------------------------------------------------------ subscribing

    /** Adds a message to the subscription (there is one); returns its message id. */
    String inject(String data, Map<String, String> attributes) {
        String id = "m" + ids.incrementAndGet();
        ready.addLast(new Queued(id, PubsubMessage.newBuilder().setMessageId(id)
                .setData(com.google.protobuf.ByteString.copyFromUtf8(data)).putAllAttributes(attributes).build()));
        return id;
    }

    List<String> events() {
        return events;
    }

    boolean acked(String messageId) {
        return events.contains("ack:" + messageId);
    }

    long deliveries(String messageId) {
        return events.stream().filter(e -> e.equals("deliver:" + messageId)).count();
    }

    /** While true, StreamingPull answers NOT_FOUND, as Pub/Sub does for a subscription that does not exist. */
    void subscriptionMissing(boolean value) {
        subscriptionMissing = value;
    }

    /** StreamingPull calls opened so far (a subscriber opens one per start). */
    int streamingPulls() {
        return streamingPulls.get();
    }

    private StreamObserver<StreamingPullRequest> onStreamingPull(ServerCallStreamObserver<StreamingPullResponse> out) {
        streamingPulls.incrementAndGet();
        if (subscriptionMissing) {
            out.onError(Status.NOT_FOUND.withDescription("Resource not found (resource=commands-sub).")
                    .asRuntimeException());
            return new StreamObserver<>() {
                @Override
                public void onNext(StreamingPullRequest request) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
        AtomicBoolean open = new AtomicBoolean(true);
        Thread sender = new Thread(() -> {
            try {
                while (open.get() && !closed) {
                    redeliverExpired();
                    Queued q = ready.pollFirst(100, TimeUnit.MILLISECONDS);
                    if (q == null) {
                        continue;
                    }
                    if (!open.get()) {
                        ready.addFirst(q);
                        return;
                    }
                    q.ackId = q.id + "-" + q.deliveries.incrementAndGet();
                    q.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    byAckId.put(q.ackId, q);
                    events.add("deliver:" + q.id);
                    synchronized (out) {
                        out.onNext(StreamingPullResponse.newBuilder().addReceivedMessages(ReceivedMessage.newBuilder()
                                .setAckId(q.ackId).setMessage(q.message).setDeliveryAttempt(q.deliveries.get()))
                                .build());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                open.set(false);
            }
        }, "pubsub-stand-in-pull");
        sender.setDaemon(true);
        senders.add(sender);
        sender.start();
        return new StreamObserver<>() {
            @Override
            public void onNext(StreamingPullRequest request) {
                request.getAckIdsList().forEach(PubSubStandIn.this::ack);
                for (int i = 0; i < request.getModifyDeadlineAckIdsCount(); i++) {
                    modify(request.getModifyDeadlineAckIds(i), request.getModifyDeadlineSeconds(i));
                }
            }

            @Override
            public void onError(Throwable t) {
                open.set(false);
            }

            @Override
            public void onCompleted() {
                open.set(false);
                synchronized (out) {
                    out.onCompleted();
                }
            }
        };
    }

    private void ack(String ackId) {
        Queued q = byAckId.remove(ackId);
        if (q != null) {
            events.add("ack:" + q.id);
        }
    }

    private void modify(String ackId, int seconds) {
        Queued q = byAckId.get(ackId);
        if (q == null) {
            return;
        }
        if (seconds == 0) {
            byAckId.remove(ackId);
            events.add("nack:" + q.id);
            ready.addLast(q);
        } else {
            q.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        }
    }

    private void redeliverExpired() {
        long now = System.nanoTime();
        for (Queued q : new ArrayList<>(byAckId.values())) {
            if (now - q.deadlineNanos > 0 && byAckId.remove(q.ackId, q)) {
                events.add("expired:" + q.id);
                ready.addLast(q);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
        for (Thread t : senders) {
            t.join(2000);
        }
    }
}
