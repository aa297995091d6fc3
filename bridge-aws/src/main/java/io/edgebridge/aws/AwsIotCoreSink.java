package io.edgebridge.aws;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.config.tls.TlsFileCheck;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.support.TlsProbe;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.crt.CRT;
import software.amazon.awssdk.crt.CrtRuntimeException;
import software.amazon.awssdk.crt.io.ExponentialBackoffRetryOptions.JitterMode;
import software.amazon.awssdk.crt.io.SocketOptions;
import software.amazon.awssdk.crt.io.TlsContext;
import software.amazon.awssdk.crt.io.TlsContextOptions;
import software.amazon.awssdk.crt.mqtt5.Mqtt5Client;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions.ClientOfflineQueueBehavior;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions.ClientSessionBehavior;
import software.amazon.awssdk.crt.mqtt5.Mqtt5PublishAcknowledgementControlHandle;
import software.amazon.awssdk.crt.mqtt5.OnAttemptingConnectReturn;
import software.amazon.awssdk.crt.mqtt5.OnConnectionFailureReturn;
import software.amazon.awssdk.crt.mqtt5.OnConnectionSuccessReturn;
import software.amazon.awssdk.crt.mqtt5.OnDisconnectionReturn;
import software.amazon.awssdk.crt.mqtt5.OnStoppedReturn;
import software.amazon.awssdk.crt.mqtt5.PublishResult;
import software.amazon.awssdk.crt.mqtt5.PublishReturn;
import software.amazon.awssdk.crt.mqtt5.QOS;
import software.amazon.awssdk.crt.mqtt5.packets.ConnAckPacket;
import software.amazon.awssdk.crt.mqtt5.packets.ConnectPacket;
import software.amazon.awssdk.crt.mqtt5.packets.PubAckPacket;
import software.amazon.awssdk.crt.mqtt5.packets.PublishPacket;
import software.amazon.awssdk.crt.mqtt5.packets.SubAckPacket;
import software.amazon.awssdk.crt.mqtt5.packets.SubscribePacket;
import software.amazon.awssdk.crt.mqtt5.packets.UserProperty;

/**
 * Forwards to AWS IoT Core with an aws-crt MQTT 5 client over mutual TLS and, for downstream
 * routes, subscribes there.
 *
 * <p>Upstream: a send is a QoS 1 PUBLISH (QoS 2 is sent as 1: IoT Core has no QoS 2) that
 * completes on the PUBACK. While disconnected, sends fail at once with RETRY, and sends in flight
 * when the connection drops fail with RETRY (the client's offline queue is disabled): the engine
 * keeps them in the spool and sends them again, so a message may arrive twice but is never lost.
 *
 * <p>Downstream: a QoS 1 message is acknowledged to IoT Core only once the local broker took it (the
 * client's manual acknowledgement control); if that fails it stays unacknowledged and IoT Core
 * redelivers it in the next session (persistent session) or not at all (clean session). When a
 * reconnect resumes the session, the deliveries still waiting from earlier connections are given up
 * (IoT Core redelivers them), so a local broker outage leaves one local publish per message waiting
 * however often the cloud connection drops.
 *
 * <p>Certificate rotation: the certificate and key files are hashed every {@code rotationCheck};
 * on a change a new client is built from them and the old one stopped (its sends in flight fail
 * with RETRY).
 */
final class AwsIotCoreSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(AwsIotCoreSink.class);
    static final String ALPN_MQTT = "x-amzn-mqtt-ca";
    private static final long STOP_WAIT_SECONDS = 10;

    private final String name;
    private final AwsIotCoreOptions options;
    private final SinkContext context;
    private final Object lock = new Object();
    private volatile Connection current;
    private FileFingerprint applied; // guarded by lock
    private String lastOpenProblem; // guarded by lock
    private int generation; // guarded by lock
    private final DownstreamSubscription downstream = new DownstreamSubscription();
    private volatile boolean started;
    private volatile boolean closed;
    private volatile ScheduledFuture<?> rotationTask;
    private final TlsGate gate;
    /** aws-crt's connection failures by class (TLS, or the error's name): one line per class and interval. */
    private final LogLimit failureLog = new LogLimit();

    AwsIotCoreSink(String name, AwsIotCoreOptions options, SinkContext context) {
        this.name = name;
        this.options = options;
        this.context = context;
        this.gate = new TlsGate(name, new TlsProbe.Target(options.endpoint(), options.port(),
                options.port() == 443 ? List.of(ALPN_MQTT) : List.of(), options.ca(), Optional.of(options.certificate()),
                Optional.of(options.privateKey())), options.connectTimeout(), options.reconnect(), context.scheduler());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletionStage<Void> subscribe(List<String> filters, DownstreamHandler handler) {
        return downstream.subscribe(filters, handler);
    }

    @Override
    public CompletionStage<Void> start() {
        synchronized (lock) {
            if (closed || started) {
                return CompletableFuture.completedFuture(null);
            }
            started = true;
            log.atInfo().addKeyValue("sink", name).addKeyValue("endpoint", options.display())
                    .addKeyValue("clientId", options.clientId()).addKeyValue("certificate", options.certificate())
                    .log("connecting to AWS IoT Core");
            switchIfChanged();
        }
        long every = options.rotationCheck().toMillis();
        rotationTask = context.scheduler().scheduleWithFixedDelay(this::checkRotation, every, every,
                TimeUnit.MILLISECONDS);
        return CompletableFuture.completedFuture(null);
    }

    private void checkRotation() {
        try {
            synchronized (lock) {
                if (!closed) {
                    switchIfChanged();
                }
            }
        } catch (RuntimeException e) {
            log.atError().addKeyValue("sink", name).setCause(e).log("certificate check failed");
        }
    }

    /** Opens a client when there is none or the certificate files changed since the last one. */
    private void switchIfChanged() {
        FileFingerprint now;
        try {
            now = FileFingerprint.of(options.certificate(), options.privateKey(), options.ca());
        } catch (IOException e) {
            openProblem("cannot read the certificate, key or CA file: " + e.getClass().getSimpleName() + " "
                    + e.getMessage());
            return;
        }
        Connection old = current;
        if (old != null && now.equals(applied)) {
            return;
        }
        // The same checks as the config loader's, with the same words: a rotation that installs an expired,
        // unreadable or mismatched file keeps the current connection and says which file is wrong.
        Optional<String> fileProblem = fileProblem();
        if (fileProblem.isPresent()) {
            openProblem(fileProblem.get() + (old != null ? "; keeping the current connection" : ""));
            return;
        }
        Connection next;
        try {
            next = open(++generation);
        } catch (CrtRuntimeException | IllegalArgumentException e) {
            // e.g. a file half-written during a rotation: try again at the next check
            openProblem("cannot use the certificate and key: " + crtReason(e));
            return;
        }
        applied = now;
        lastOpenProblem = null;
        if (old != null) {
            log.atInfo().addKeyValue("sink", name).addKeyValue("certificateSha256", now.shortCertificate())
                    .log("certificate files changed: reconnecting with the new certificate");
            retire(old, "the connection is being replaced after a certificate rotation");
        }
        current = next;
        startWhenTlsAccepted(next);
    }

    private Optional<String> fileProblem() {
        List<TlsFileCheck.Finding> findings = new ArrayList<>(TlsFileCheck.certificateAndKey(options.certificate(),
                TlsFileCheck.label(options.certificate()), options.privateKey(), TlsFileCheck.label(options.privateKey()),
                Optional.empty(), Instant.now()));
        options.ca().ifPresent(ca -> findings.addAll(TlsFileCheck.caFile(ca, TlsFileCheck.label(ca), Instant.now())));
        return findings.stream().filter(TlsFileCheck.Finding::error).map(TlsFileCheck.Finding::message)
                .reduce((a, b) -> a + "; " + b);
    }

    /** Starts {@code c}'s client once a handshake of our own shows no TLS fault (see {@link TlsGate}). */
    private void startWhenTlsAccepted(Connection c) {
        gate.open(() -> c.retired || closed).thenRun(() -> {
            synchronized (lock) {
                if (c.retired || closed) {
                    return;
                }
                c.client.start();
            }
            context.scheduler().schedule(() -> {
                if (!c.everConnected && !c.retired && !closed && c.lastFailure == null) {
                    log.atWarn().addKeyValue("sink", name).addKeyValue("endpoint", options.display())
                            .log("not connected to AWS IoT Core {} after start; still trying (messages wait in the"
                                    + " spool)", options.connectTimeout());
                }
            }, options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    /** After a TLS fault of a running client: a new client, held back until the fault is gone. */
    private void regate(Connection c) {
        synchronized (lock) {
            if (c != current || closed) {
                return;
            }
            Connection next;
            try {
                next = open(++generation);
            } catch (CrtRuntimeException | IllegalArgumentException e) {
                openProblem("cannot use the certificate and key: " + crtReason(e));
                return;
            }
            retire(c, "TLS fault: waiting for it to be fixed");
            current = next;
            startWhenTlsAccepted(next);
        }
    }

    private void openProblem(String problem) {
        if (!problem.equals(lastOpenProblem)) { // checked every rotationCheck: logged once per distinct problem
            lastOpenProblem = problem;
            log.atError().addKeyValue("sink", name).addKeyValue("certificate", options.certificate())
                    .addKeyValue("privateKey", options.privateKey()).log(problem);
        }
    }

    private Connection open(int number) {
        Connection c = new Connection(number);
        try (TlsContextOptions tlsOptions = TlsContextOptions.createWithMtlsFromPath(
                options.certificate().toString(), options.privateKey().toString())) {
            options.ca().ifPresent(ca -> tlsOptions.overrideDefaultTrustStoreFromPath(null, ca.toString()));
            if (options.port() == 443) {
                tlsOptions.withAlpnList(ALPN_MQTT);
            }
            try (TlsContext tls = new TlsContext(tlsOptions); SocketOptions socket = new SocketOptions()) {
                socket.connectTimeoutMs = (int) options.connectTimeout().toMillis();
                ConnectPacket connect = new ConnectPacket.ConnectPacketBuilder()
                        .withClientId(options.clientId())
                        .withKeepAliveIntervalSeconds(Math.max(1, options.keepAlive().toSeconds()))
                        .withSessionExpiryIntervalSeconds(options.sessionExpiry().toSeconds())
                        .build();
                Mqtt5ClientOptions clientOptions = new Mqtt5ClientOptions.Mqtt5ClientOptionsBuilder(options.endpoint(),
                        (long) options.port())
                        .withTlsContext(tls)
                        .withSocketOptions(socket)
                        .withConnectOptions(connect)
                        .withSessionBehavior(options.sessionExpiry().isZero() ? ClientSessionBehavior.CLEAN
                                : ClientSessionBehavior.REJOIN_ALWAYS)
                        .withOfflineQueueBehavior(ClientOfflineQueueBehavior.FAIL_ALL_ON_DISCONNECT)
                        .withMinReconnectDelayMs(options.reconnect().min().toMillis())
                        .withMaxReconnectDelayMs(options.reconnect().max().toMillis())
                        .withRetryJitterMode(options.reconnect().jitter() == 0 ? JitterMode.None : JitterMode.Full)
                        .withConnackTimeoutMs(options.connectTimeout().toMillis())
                        .withAckTimeoutSeconds(Math.max(1, options.operationTimeout().toSeconds()))
                        .withLifecycleEvents(c)
                        .withPublishEvents(c)
                        .withDisableMetrics(true)
                        .build();
                c.client = new Mqtt5Client(clientOptions);
            }
        }
        return c;
    }

    /** Stops {@code c}: its sends in flight fail with RETRY, its downstream messages stay unacknowledged. */
    private CompletableFuture<Void> retire(Connection c, String why) {
        c.retired = true;
        c.connected = false;
        for (CompletableFuture<Void> pending : List.copyOf(c.pending)) {
            pending.completeExceptionally(new DeliveryException(Disposition.RETRY, why));
        }
        try {
            c.client.stop();
        } catch (RuntimeException e) {
            c.stopped.complete(null);
        }
        return c.stopped.orTimeout(STOP_WAIT_SECONDS, TimeUnit.SECONDS).handle((v, e) -> {
            synchronized (c) {
                c.client.close();
            }
            return null;
        });
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        Optional<String> topicProblem = AwsTopics.problem(message.topic());
        if (topicProblem.isPresent()) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT,
                    "AWS IoT Core would refuse the topic: " + topicProblem.get()));
        }
        if (message.payload().length > AwsTopics.MAX_PAYLOAD_BYTES) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT,
                    "payload of " + message.payload().length + " bytes exceeds AWS IoT Core's limit of 128 KB ("
                            + AwsTopics.MAX_PAYLOAD_BYTES + " bytes)"));
        }
        Connection c = current;
        if (closed || c == null || !c.connected) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.RETRY,
                    "not connected to AWS IoT Core " + options.display()));
        }
        PublishPacket packet = packet(message);
        CompletableFuture<Void> result = new CompletableFuture<>();
        c.pending.add(result);
        CompletableFuture<PublishResult> published;
        try {
            published = c.client.publish(packet);
        } catch (RuntimeException e) {
            c.pending.remove(result);
            return CompletableFuture.failedFuture(classify(e));
        }
        published.whenComplete((r, error) -> {
            c.pending.remove(result);
            if (error != null) {
                result.completeExceptionally(classify(error));
            } else {
                Optional<DeliveryException> refused = refusal(r);
                if (refused.isPresent()) {
                    result.completeExceptionally(refused.get());
                } else {
                    result.complete(null);
                }
            }
        });
        if (c.retired) {
            result.completeExceptionally(new DeliveryException(Disposition.RETRY, "the connection was replaced"));
        }
        // Whatever the client does with its own ack timeout, a send must end: one that stayed open for
        // ever would hold its place in the pump's window and in the rate limit.
        long timeout = options.operationTimeout().toMillis();
        ScheduledFuture<?> expiry = context.scheduler().schedule(() -> {
            if (result.completeExceptionally(new DeliveryException(Disposition.RETRY,
                    "no PUBACK from AWS IoT Core within operationTimeout (" + options.operationTimeout().toSeconds()
                            + " s)"))) {
                c.pending.remove(result);
            }
        }, timeout, TimeUnit.MILLISECONDS);
        result.whenComplete((v, e) -> expiry.cancel(false));
        return result;
    }

    private PublishPacket packet(OutboundMessage message) {
        PublishPacket.PublishPacketBuilder b = new PublishPacket.PublishPacketBuilder()
                .withTopic(message.topic())
                .withPayload(message.payload())
                .withQOS(message.qos() == 0 ? QOS.AT_MOST_ONCE : QOS.AT_LEAST_ONCE)
                .withRetain(options.forwardRetain() && message.retain());
        if (!message.properties().isEmpty()) {
            List<UserProperty> properties = new ArrayList<>(message.properties().size());
            message.properties().forEach((k, v) -> properties.add(new UserProperty(k, v)));
            b.withUserProperties(properties);
        }
        message.contentType().ifPresent(b::withContentType);
        message.sinkOptions().filter(AwsTargetOptions.class::isInstance).map(AwsTargetOptions.class::cast)
                .flatMap(AwsTargetOptions::messageExpiry)
                .ifPresent(expiry -> b.withMessageExpiryIntervalSeconds(expiry.toSeconds()));
        return b.build();
    }

    /** A PUBACK with an error reason code, as the engine should treat it. */
    static Optional<DeliveryException> refusal(PublishResult result) {
        if (result == null || result.getType() != PublishResult.PublishResultType.PUBACK) {
            return Optional.empty(); // QoS 0: written is all there is
        }
        PubAckPacket ack = result.getResultPubAck();
        PubAckPacket.PubAckReasonCode code = ack.getReasonCode();
        if (code == null || code.getValue() < 0x80) {
            return Optional.empty();
        }
        String reason = "AWS IoT Core refused the publish: " + code
                + (ack.getReasonString() == null ? "" : " (" + ack.getReasonString() + ")");
        return Optional.of(switch (code) {
            case QUOTA_EXCEEDED -> new DeliveryException(Disposition.RETRY, reason);
            case TOPIC_NAME_INVALID, PAYLOAD_FORMAT_INVALID -> new DeliveryException(Disposition.PERMANENT, reason);
            default -> new DeliveryException(Disposition.REJECTED, reason);
        });
    }

    static DeliveryException classify(Throwable error) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof DeliveryException d) {
            return d;
        }
        if (cause instanceof CrtRuntimeException crt) {
            String reason = crtReason(crt);
            if (reason.contains("VALIDATION")) {
                return new DeliveryException(Disposition.PERMANENT, "invalid publish: " + reason);
            }
            return new DeliveryException(Disposition.RETRY, "publish not acknowledged: " + reason);
        }
        if (cause instanceof TimeoutException) {
            return new DeliveryException(Disposition.RETRY, "publish not acknowledged in time");
        }
        return new DeliveryException(Disposition.RETRY, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    private static String crtReason(RuntimeException e) {
        if (e instanceof CrtRuntimeException crt && crt.errorCode != 0) {
            return errorText(crt.errorCode);
        }
        return String.valueOf(e.getMessage());
    }

    /** A stable key for a connection failure: its CONNACK reason, or aws-crt's error name. */
    static String failureClass(int errorCode, ConnAckPacket connAck) {
        if (connAck != null && connAck.getReasonCode() != null) {
            return "connack " + connAck.getReasonCode();
        }
        String text = errorText(errorCode);
        int colon = text.indexOf(':');
        return colon > 0 ? text.substring(0, colon) : text;
    }

    static String errorText(int code) {
        try {
            return CRT.awsErrorName(code) + ": " + CRT.awsErrorString(code);
        } catch (RuntimeException | LinkageError e) {
            return "error " + code;
        }
    }

    @Override
    public boolean isConnected() {
        Connection c = current;
        return c != null && c.connected;
    }

    @Override
    public CompletionStage<Void> close() {
        Connection c;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
            c = current;
            current = null;
        }
        ScheduledFuture<?> task = rotationTask;
        if (task != null) {
            task.cancel(false);
        }
        gate.close();
        if (c == null) {
            return CompletableFuture.completedFuture(null);
        }
        boolean wasConnected = c.connected;
        CompletableFuture<Void> stopped = retire(c, "sink " + name + " is closing");
        if (!wasConnected) {
            // Nothing in flight and no session to end politely: do not wait for a client that may be inside
            // a connect attempt or s2n's 10-30 s blinding delay; it is released when it stops.
            return CompletableFuture.completedFuture(null);
        }
        return stopped.thenRun(() -> log.atInfo().addKeyValue("sink", name).log("disconnected from AWS IoT Core"));
    }

    /** One aws-crt client and what happened to it. */
    private final class Connection implements Mqtt5ClientOptions.LifecycleEvents, Mqtt5ClientOptions.PublishEvents {

        final int number;
        volatile Mqtt5Client client;
        volatile boolean connected;
        volatile boolean everConnected;
        volatile boolean retired;
        final Set<CompletableFuture<Void>> pending = ConcurrentHashMap.newKeySet();
        /** Downstream deliveries waiting for the local broker, by the session connection they arrived on. */
        final Map<CompletableFuture<Void>, Integer> deliveries = new ConcurrentHashMap<>();
        /** Successful connections so far; a message arriving before the next one is counted with it. */
        private volatile int connections;
        final CompletableFuture<Void> stopped = new CompletableFuture<>();
        volatile String lastFailure;

        Connection(int number) {
            this.number = number;
        }

        @Override
        public void onAttemptingConnect(Mqtt5Client c, OnAttemptingConnectReturn r) {
            log.atDebug().addKeyValue("sink", name).addKeyValue("endpoint", options.display())
                    .addKeyValue("connection", number).log("connecting");
        }

        @Override
        public void onConnectionSuccess(Mqtt5Client c, OnConnectionSuccessReturn r) {
            if (retired) {
                return;
            }
            ConnAckPacket connAck = r.getConnAckPacket();
            boolean resumed = connAck != null && connAck.getSessionPresent();
            int connection = ++connections;
            if (resumed) {
                giveUpDeliveriesBefore(connection);
            }
            connected = true;
            everConnected = true;
            lastFailure = null;
            log.atInfo().addKeyValue("sink", name).addKeyValue("endpoint", options.display())
                    .addKeyValue("clientId", options.clientId()).addKeyValue("sessionPresent", resumed)
                    .log("connected to AWS IoT Core");
            List<String> f = downstream.filters();
            if (!f.isEmpty()) {
                context.scheduler().execute(() -> subscribeDownstream(f));
            }
        }

        private void subscribeDownstream(List<String> f) {
            SubscribePacket.SubscribePacketBuilder b = new SubscribePacket.SubscribePacketBuilder();
            f.forEach(filter -> b.withSubscription(filter, QOS.AT_LEAST_ONCE));
            CompletableFuture<SubAckPacket> subscribed;
            try {
                subscribed = client.subscribe(b.build());
            } catch (RuntimeException e) {
                log.atError().addKeyValue("sink", name).addKeyValue("filters", f)
                        .log("downstream subscription failed: {}", crtReason(e));
                return;
            }
            subscribed.whenComplete((subAck, error) -> {
                if (error != null) {
                    Throwable cause = Futures.unwrap(error);
                    log.atError().addKeyValue("sink", name).addKeyValue("filters", f)
                            .log("downstream subscription failed: {}", cause instanceof RuntimeException re
                                    ? crtReason(re) : cause.toString());
                    return;
                }
                List<String> refused = new ArrayList<>();
                List<SubAckPacket.SubAckReasonCode> codes = subAck.getReasonCodes();
                for (int i = 0; i < codes.size() && i < f.size(); i++) {
                    if (codes.get(i).getValue() >= 0x80) {
                        refused.add(f.get(i) + " (" + codes.get(i) + ")");
                    }
                }
                if (refused.isEmpty()) {
                    log.atInfo().addKeyValue("sink", name).addKeyValue("filters", f).log("downstream subscribed");
                } else {
                    log.atError().addKeyValue("sink", name).addKeyValue("refused", refused)
                            .log("AWS IoT Core refused downstream subscriptions (check the policy's iot:Subscribe)");
                }
            });
        }

        @Override
        public void onConnectionFailure(Mqtt5Client c, OnConnectionFailureReturn r) {
            connected = false;
            if (retired) {
                return;
            }
            ConnAckPacket connAck = r.getConnAckPacket();
            String failure = errorText(r.getErrorCode())
                    + (connAck == null || connAck.getReasonCode() == null ? "" : "; CONNACK " + connAck.getReasonCode()
                            + (connAck.getReasonString() == null ? "" : " (" + connAck.getReasonString() + ")"));
            lastFailure = failure;
            boolean tls = failure.contains("_TLS_");
            long next = options.reconnect().max().toMillis();
            if (!tls) {
                logFailure(failureClass(r.getErrorCode(), connAck), failure);
                return;
            }
            // s2n says only "negotiation failed" or "read failure" (alternating for one cause): a handshake of
            // our own names the file at fault, and holds the client back until it is fixed.
            gate.diagnose(next).thenAccept(fault -> {
                if (fault.isPresent()) {
                    regate(this);
                } else {
                    logFailure("tls", failure + " (the TLS handshake failed: check that the certificate is"
                            + " registered and active in IoT Core, that it matches the private key, and the ca file)");
                }
            });
        }

        private void logFailure(String failureClass, String failure) {
            LogLimit.Pass pass = failureLog.admit(failureClass);
            if (pass.logs()) {
                log.atWarn().addKeyValue("sink", name).addKeyValue("endpoint", options.display())
                        .addKeyValue("clientId", options.clientId()).addKeyValue("certificate", options.certificate())
                        .log("cannot connect to AWS IoT Core: {}; retrying{}", failure, pass.suffix());
            }
        }

        @Override
        public void onDisconnection(Mqtt5Client c, OnDisconnectionReturn r) {
            boolean was = connected;
            connected = false;
            for (CompletableFuture<Void> p : List.copyOf(pending)) {
                p.completeExceptionally(new DeliveryException(Disposition.RETRY, "connection lost"));
            }
            if (was && !retired) {
                log.atWarn().addKeyValue("sink", name).addKeyValue("endpoint", options.display())
                        .log("disconnected from AWS IoT Core: {}; reconnecting", errorText(r.getErrorCode()));
            }
        }

        @Override
        public void onStopped(Mqtt5Client c, OnStoppedReturn r) {
            connected = false;
            stopped.complete(null);
        }

        @Override
        public void onMessageReceived(Mqtt5Client c, PublishReturn r) {
            PublishPacket p = r.getPublishPacket();
            Mqtt5PublishAcknowledgementControlHandle ack = p.getQOS() == QOS.AT_LEAST_ONCE
                    ? r.acquirePublishAcknowledgementControl() : null;
            if (retired) {
                return; // unacknowledged: redelivered to the next connection's session
            }
            Map<String, String> properties = new LinkedHashMap<>();
            if (p.getUserProperties() != null) {
                p.getUserProperties().forEach(u -> properties.put(u.key, u.value));
            }
            byte[] payload = p.getPayload() == null ? new byte[0] : p.getPayload();
            InboundMessage message = new InboundMessage(p.getTopic(), payload, properties,
                    Optional.ofNullable(p.getContentType()));
            // Tagged with the connection it belongs to: the current one, or the next while reconnecting.
            int connection = connected ? connections : connections + 1;
            CompletableFuture<Void> delivery = downstream.deliver(message).toCompletableFuture();
            deliveries.put(delivery, connection);
            delivery.whenComplete((ok, error) -> {
                deliveries.remove(delivery);
                if (error == null) {
                    acknowledge(ack);
                }
                // On failure it stays unacknowledged: IoT Core redelivers it in the next session.
            });
        }

        /**
         * The session was resumed: IoT Core redelivers every message not acknowledged on earlier
         * connections, and the messages carry nothing that would tell a redelivery from a new one. So
         * the deliveries of earlier connections still waiting for the local broker are given up (their
         * waiting local publishes withdrawn); the redeliveries take their place, one at a time.
         */
        private void giveUpDeliveriesBefore(int connection) {
            deliveries.forEach((delivery, arrivedOn) -> {
                if (arrivedOn < connection) {
                    delivery.cancel(false);
                }
            });
        }

        private void acknowledge(Mqtt5PublishAcknowledgementControlHandle ack) {
            if (ack == null) {
                return;
            }
            synchronized (this) {
                if (retired && stopped.isDone()) {
                    return;
                }
                try {
                    client.invokePublishAcknowledgement(ack);
                } catch (RuntimeException e) {
                    log.atDebug().addKeyValue("sink", name).log("acknowledgement not sent: {}", crtReason(e));
                }
            }
        }
    }
}
