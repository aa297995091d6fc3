package io.edgebridge.azure;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.ConnectionStatusChangeContext;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.InternalClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.IotHubMessageResult;
import com.microsoft.azure.sdk.iot.device.IotHubStatusCode;
import com.microsoft.azure.sdk.iot.device.Message;
import com.microsoft.azure.sdk.iot.device.MessageProperty;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.transport.IotHubConnectionStatus;
import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.azure.AzureIotHubOptions.Mode;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.support.TlsFault;
import io.edgebridge.core.support.TlsFaults;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.support.BackoffDelays;
import io.micrometer.core.instrument.Counter;
import java.security.GeneralSecurityException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards to Azure IoT Hub (or an IoT Edge hub) with the Azure device SDK over MQTT 3.1.1.
 *
 * <p>Upstream: a send is {@code sendEventAsync} and completes at the SDK's send callback (IoT Hub's
 * PUBACK). While the client is not connected, sends fail at once with RETRY (they stay in the
 * spool); a send with no answer within {@code sendTimeout} fails with RETRY, so a message may arrive
 * twice (its message id stays the same) but is never lost. The SDK reconnects by itself and renews
 * SAS tokens; when it gives up (its status becomes DISCONNECTED) the sink closes that client and
 * opens a new one, with {@code reconnect} backoff.
 *
 * <p>Downstream: cloud-to-device messages (module input messages in edge-module mode) are routed
 * under {@code c2dTopic}, rendered from their application properties. The SDK's message callback is
 * synchronous and its result is the acknowledgement, so it blocks (at most {@code c2dTimeout}) until
 * the local broker acknowledged: COMPLETE after the local PUBACK; REJECT when a property would make
 * an invalid topic level; ABANDON when the local publish did not finish in time. Over MQTT, IoT Hub
 * has no abandon or reject: the SDK acknowledges the message in all three cases, so an abandoned
 * message is not redelivered (it is counted, {@code result=abandoned}); its local publish stays with
 * the bridge, which publishes it once the local broker is back. Blocking the callback holds back the
 * next cloud-to-device message, not device-to-cloud sends.
 *
 * <p>Direct methods become local MQTT 5 requests ({@link AzureMethods}); the twin's desired
 * {@code routes} replace the running routes and its reported properties carry the bridge's status
 * ({@link AzureTwin}). Both are set up on each new client after it opened.
 *
 * <p>Connection strings and SAS tokens are never logged; logs name the hub and device only.
 */
final class AzureIotHubSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(AzureIotHubSink.class);
    private static final long CLOSE_WAIT_SECONDS = 15;

    private final String name;
    private final AzureIotHubOptions options;
    private final SinkContext context;
    private final String display;
    private final ExecutorService opener;
    private final Set<CompletableFuture<Void>> pending = ConcurrentHashMap.newKeySet();
    private final Counter c2dCompleted;
    private final Counter c2dRejected;
    private final Counter c2dAbandoned;
    private final LogLimit c2dLog = new LogLimit();
    private final AzureMethods methods;
    private final AzureTwin twin;
    private final Object lock = new Object();
    private final LogLimit tlsFaultLog = new LogLimit();
    private volatile InternalClient client;
    private volatile IotHubConnectionStatus status = IotHubConnectionStatus.DISCONNECTED;
    private volatile DownstreamHandler handler;
    private volatile boolean closed;
    private volatile boolean inOpen;
    private boolean started; // guarded by lock
    private Future<?> opening; // guarded by lock

    AzureIotHubSink(String name, AzureIotHubOptions options, SinkContext context) {
        this.name = name;
        this.options = options;
        this.context = context;
        this.display = switch (options.mode()) {
            case CONNECTION_STRING -> options.display(ConnectionStrings.parse(options.connectionString().orElseThrow()
                    .reveal()));
            case X509 -> options.x509().orElseThrow().hostName() + "/" + options.x509().orElseThrow().deviceId();
            case EDGE_MODULE -> "IoT Edge module (output " + options.output() + ")";
        };
        this.opener = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "edgebridge-azure-" + name);
            t.setDaemon(true);
            return t;
        });
        this.c2dCompleted = c2dCounter("completed");
        this.c2dRejected = c2dCounter("rejected");
        this.c2dAbandoned = c2dCounter("abandoned");
        this.methods = new AzureMethods(name, options.methodTopic(), options.methodTimeout(), () -> handler,
                context.meters());
        this.twin = new AzureTwin(name, options.twin(), context.config(), opener, context.scheduler(),
                (int) Math.min(options.sendTimeout().toMillis(), 30_000));
    }

    private Counter c2dCounter(String result) {
        return Counter.builder("edgebridge.azure.c2d")
                .description("Cloud-to-device messages by how they were settled with IoT Hub")
                .tag("sink", name).tag("result", result).register(context.meters());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletionStage<Void> subscribe(List<String> filters, DownstreamHandler handler) {
        this.handler = handler;
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> start() {
        synchronized (lock) {
            if (closed || started) {
                return CompletableFuture.completedFuture(null);
            }
            started = true;
            log.atInfo().addKeyValue("sink", name).addKeyValue("identity", display)
                    .log("connecting to Azure IoT Hub");
            opening = opener.submit(this::openLoop);
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Creates and opens a client, retrying with backoff until one is open or the sink closes. */
    private void openLoop() {
        int attempt = 0;
        String lastProblem = null;
        while (!closed) {
            InternalClient c = null;
            try {
                c = create();
                InternalClient self = c;
                c.setConnectionStatusChangeCallback(ctx -> onStatus(self, ctx), null);
                if (handler != null) {
                    if (c instanceof DeviceClient device) {
                        device.setMessageCallback((message, ctx) -> onCloudMessage(message), null);
                    } else {
                        ((ModuleClient) c).setMessageCallback((message, ctx) -> onCloudMessage(message), null);
                    }
                }
                client = c;
                inOpen = true;
                try {
                    c.open(false);
                } finally {
                    inOpen = false;
                }
                if (closed) {
                    closeQuietly(c);
                    return;
                }
                subscribeToMethods(c);
                twin.attach(c);
                return;
            } catch (IotHubClientException | RuntimeException | GeneralSecurityException | java.io.IOException e) {
                if (c != null) {
                    client = null;
                    closeQuietly(c);
                }
                Optional<TlsFault> tls = TlsFaults.classify(e, tlsFiles());
                if (tls.isPresent()) {
                    // The SDK wraps the JDK's TLS error in its own: name the file at fault, once per kind and interval.
                    LogLimit.Pass pass = tlsFaultLog.admit(tls.get().kind().name());
                    if (pass.logs()) {
                        log.atWarn().addKeyValue("sink", name).addKeyValue("identity", display)
                                .addKeyValue("tlsFault", tls.get().kind())
                                .log("cannot connect to Azure IoT Hub: {}; retrying{}", tls.get().message(),
                                        pass.suffix());
                    }
                } else {
                    String problem = problem(e);
                    var event = problem.equals(lastProblem) && attempt % 20 != 0 ? log.atDebug() : log.atWarn();
                    event.addKeyValue("sink", name).addKeyValue("identity", display)
                            .log("cannot connect to Azure IoT Hub: {}; retrying", problem);
                    lastProblem = problem;
                }
            }
            try {
                Thread.sleep(BackoffDelays.millis(options.reconnect(), attempt++));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Direct methods are answered by this sink (404 without a route); a hub that has none (IoT Hub's
     * basic tier) is logged and the sink works on without them.
     */
    private void subscribeToMethods(InternalClient c) {
        try {
            c.subscribeToMethods(methods, null, (int) Math.min(options.sendTimeout().toMillis(), 30_000));
        } catch (IotHubClientException | RuntimeException e) {
            log.atWarn().addKeyValue("sink", name).addKeyValue("identity", display)
                    .log("direct methods are not available ({}); device-to-cloud messages go on", problem(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private TlsFaults.Files tlsFiles() {
        String host = options.gatewayHostName().or(() -> options.x509().map(AzureIotHubOptions.X509Identity::hostName))
                .orElse("the IoT Hub");
        return new TlsFaults.Files(host, options.ca(), options.x509().map(AzureIotHubOptions.X509Identity::certificate));
    }

    /** A secret-free description: the SDK's status code and exception type, and its message (which names no key). */
    private static String problem(Exception e) {
        if (e instanceof IotHubClientException hub) {
            return hub.getStatusCode() + (hub.getMessage() == null ? "" : " (" + hub.getMessage() + ")");
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private InternalClient create() throws GeneralSecurityException, java.io.IOException, IotHubClientException {
        ClientOptions.ClientOptionsBuilder builder = ClientOptions.builder()
                .keepAliveInterval((int) options.keepAlive().toSeconds())
                .sasTokenExpiryTime(options.sasTokenExpiry().toSeconds())
                .messagesSentPerSendInterval(50)
                .threadNamePrefix("edgebridge-azure-" + name);
        Optional<SSLContext> ssl = AzureTls.context(options);
        ssl.ifPresent(builder::sslContext);
        ClientOptions clientOptions = builder.build();
        return switch (options.mode()) {
            case CONNECTION_STRING -> {
                String cs = options.connectionString().orElseThrow().reveal();
                yield ConnectionStrings.parse(cs).moduleId().isPresent()
                        ? new ModuleClient(cs, IotHubClientProtocol.MQTT, clientOptions)
                        : new DeviceClient(cs, IotHubClientProtocol.MQTT, clientOptions);
            }
            case X509 -> {
                AzureIotHubOptions.X509Identity x = options.x509().orElseThrow();
                String cs = "HostName=" + x.hostName() + ";DeviceId=" + x.deviceId() + ";x509=true"
                        + options.gatewayHostName().map(g -> ";GatewayHostName=" + g).orElse("");
                yield new DeviceClient(cs, IotHubClientProtocol.MQTT, clientOptions);
            }
            case EDGE_MODULE -> ModuleClient.createFromEnvironment(new UnixSocketChannel(),
                    IotHubClientProtocol.MQTT, clientOptions);
        };
    }

    private void onStatus(InternalClient c, ConnectionStatusChangeContext ctx) {
        if (c != client) {
            return;
        }
        IotHubConnectionStatus was = status;
        status = ctx.getNewStatus();
        String reason = String.valueOf(ctx.getNewStatusReason());
        switch (ctx.getNewStatus()) {
            case CONNECTED -> {
                log.atInfo().addKeyValue("sink", name).addKeyValue("identity", display)
                        .log("connected to Azure IoT Hub");
                if (was == IotHubConnectionStatus.DISCONNECTED_RETRYING) {
                    twin.refreshSoon(); // desired patches sent while away are not redelivered
                }
            }
            case DISCONNECTED_RETRYING -> {
                if (was == IotHubConnectionStatus.CONNECTED) {
                    log.atWarn().addKeyValue("sink", name).addKeyValue("identity", display)
                            .log("disconnected from Azure IoT Hub ({}); the SDK is reconnecting", reason);
                }
            }
            case DISCONNECTED -> {
                twin.detach();
                failPending("disconnected from Azure IoT Hub (" + reason + ")");
                if (!closed && !inOpen && !"CLIENT_CLOSE".equals(reason)) {
                    log.atWarn().addKeyValue("sink", name).addKeyValue("identity", display)
                            .log("the Azure SDK gave up reconnecting ({}); opening a new client", reason);
                    synchronized (lock) {
                        if (!closed && client == c) {
                            client = null;
                            opening = opener.submit(() -> {
                                closeQuietly(c);
                                openLoop();
                            });
                        }
                    }
                }
            }
            default -> {
                // no other states
            }
        }
    }

    private void failPending(String why) {
        for (CompletableFuture<Void> p : List.copyOf(pending)) {
            p.completeExceptionally(new DeliveryException(Disposition.RETRY, why));
        }
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        int size = AzureMessages.size(message);
        if (size > options.maxMessageSize()) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT,
                    "message of " + size + " bytes (body and properties) exceeds the limit of "
                            + options.maxMessageSize() + " bytes (IoT Hub accepts at most 256 KB)"));
        }
        InternalClient c = client;
        if (closed || c == null || status != IotHubConnectionStatus.CONNECTED) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.RETRY,
                    "not connected to Azure IoT Hub " + display));
        }
        AzureTargetOptions target = message.sinkOptions().filter(AzureTargetOptions.class::isInstance)
                .map(AzureTargetOptions.class::cast).orElse(AzureTargetOptions.DEFAULT);
        Message m;
        try {
            m = AzureMessages.build(name, message, target);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT,
                    "the Azure SDK refuses the message: " + e.getMessage()));
        }
        long topicBytes = AzureMessages.topicBytes(m);
        if (topicBytes > AzureMessages.MAX_TOPIC_BYTES) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT, "its properties make an"
                    + " MQTT topic of up to " + topicBytes + " bytes (IoT Hub carries them in the topic; MQTT allows at"
                    + " most " + AzureMessages.MAX_TOPIC_BYTES + ")"));
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        pending.add(result);
        result.whenComplete((v, e) -> pending.remove(result));
        try {
            if (options.mode() == Mode.EDGE_MODULE) {
                ((ModuleClient) c).sendEventAsync(m, (sent, error, ctx) -> settle(result, error), null,
                        options.output());
            } else {
                c.sendEventAsync(m, (sent, error, ctx) -> settle(result, error), null);
            }
        } catch (IllegalStateException | IllegalArgumentException e) {
            result.completeExceptionally(new DeliveryException(Disposition.RETRY,
                    "the Azure client cannot send now: " + e.getMessage()));
            return result;
        }
        context.scheduler().schedule(() -> result.completeExceptionally(new DeliveryException(Disposition.RETRY,
                "no acknowledgement from Azure IoT Hub within " + options.sendTimeout())),
                options.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
        return result;
    }

    private static void settle(CompletableFuture<Void> result, IotHubClientException error) {
        if (error == null) {
            result.complete(null);
        } else {
            result.completeExceptionally(classify(error));
        }
    }

    /** What the engine should do after IoT Hub (or the SDK) failed a send. */
    static DeliveryException classify(IotHubClientException error) {
        IotHubStatusCode code = error.getStatusCode();
        String reason = "Azure IoT Hub: " + code + (error.getMessage() == null ? "" : " (" + error.getMessage() + ")");
        if (code == IotHubStatusCode.BAD_FORMAT || code == IotHubStatusCode.REQUEST_ENTITY_TOO_LARGE) {
            return new DeliveryException(Disposition.PERMANENT, reason, error);
        }
        if (code == IotHubStatusCode.NOT_FOUND || code == IotHubStatusCode.PRECONDITION_FAILED) {
            return new DeliveryException(Disposition.REJECTED, reason, error);
        }
        // Throttling, quota, server errors, timeouts, cancellations on close, bad credentials (until fixed):
        // all passing, from the message's point of view.
        return new DeliveryException(Disposition.RETRY, reason, error);
    }

    /**
     * The SDK's synchronous cloud-to-device callback: its result is the acknowledgement. Over MQTT the
     * SDK acknowledges whatever the result (IoT Hub has no abandon or reject there), so a message
     * returned as ABANDON is not redelivered: when the local broker does not answer within
     * {@code c2dTimeout}, the callback returns but does not give the handler's stage up, and the local
     * publish stays queued in the bridge until the broker is back (one copy, lost only if the bridge
     * stops first). Giving it up would lose it. A message IoT Hub redelivers after a reconnect (it was
     * not acknowledged yet) joins a delivery of it still in progress by its identity.
     */
    private IotHubMessageResult onCloudMessage(Message message) {
        DownstreamHandler h = handler;
        if (h == null || closed) {
            c2dAbandoned.increment();
            return IotHubMessageResult.ABANDON;
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (MessageProperty p : message.getProperties()) {
            properties.put(p.getName(), p.getValue());
        }
        CloudTopic.Result topic = CloudTopic.render(options.c2dTopic(), properties, "application property");
        if (topic instanceof CloudTopic.Rejected invalid) {
            c2dRejected.increment();
            h.onRejected("cloud-to-device message " + message.getMessageId() + ": " + invalid.reason());
            return IotHubMessageResult.REJECT;
        }
        byte[] body = message.getBytes() == null ? new byte[0] : message.getBytes();
        String routedTopic = ((CloudTopic.Routed) topic).topic();
        InboundMessage inbound = new InboundMessage(routedTopic, body, properties,
                Optional.ofNullable(message.getContentType()), C2dIdentity.of(message.getMessageId(), routedTopic, body));
        try {
            h.onMessage(inbound).toCompletableFuture().get(options.c2dTimeout().toMillis(), TimeUnit.MILLISECONDS);
            c2dCompleted.increment();
            return IotHubMessageResult.COMPLETE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return abandon(message, "interrupted");
        } catch (TimeoutException e) {
            return abandon(message, "the local broker did not acknowledge within " + options.c2dTimeout()
                    + "; the bridge keeps the message and publishes it when the local broker is back");
        } catch (ExecutionException | RuntimeException e) {
            Throwable cause = Futures.unwrap(e);
            return abandon(message, cause.toString());
        }
    }

    private IotHubMessageResult abandon(Message message, String why) {
        c2dAbandoned.increment();
        LogLimit.Pass pass = c2dLog.admit();
        if (pass.logs()) {
            log.atWarn().addKeyValue("sink", name).addKeyValue("messageId", message.getMessageId())
                    .log("abandoned a cloud-to-device message (IoT Hub over MQTT does not redeliver it): {}{}", why,
                            pass.suffix());
        }
        return IotHubMessageResult.ABANDON;
    }

    @Override
    public boolean isConnected() {
        return client != null && status == IotHubConnectionStatus.CONNECTED;
    }

    @Override
    public CompletionStage<Void> close() {
        InternalClient c;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
            c = client;
            client = null;
            if (opening != null) {
                opening.cancel(true);
            }
        }
        twin.close();
        failPending("sink " + name + " is closing");
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            try {
                if (c != null) {
                    closeQuietly(c);
                }
                opener.shutdownNow();
                opener.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                log.atInfo().addKeyValue("sink", name).log("disconnected from Azure IoT Hub");
                done.complete(null);
            }
        }, "edgebridge-azure-close-" + name);
        closer.setDaemon(true);
        closer.start();
        return done;
    }

    private void closeQuietly(InternalClient c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            log.atDebug().addKeyValue("sink", name).log("closing the Azure client: {}", e.toString());
        }
    }
}
