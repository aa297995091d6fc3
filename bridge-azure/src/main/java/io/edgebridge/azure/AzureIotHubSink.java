package io.edgebridge.azure;

import com.microsoft.azure.sdk.iot.device.InternalClient;
import com.microsoft.azure.sdk.iot.device.IotHubStatusCode;
import com.microsoft.azure.sdk.iot.device.Message;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import io.edgebridge.azure.AzureIotHubOptions.Mode;
import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.DownstreamHandler;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.support.PendingSends;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Forwards to Azure IoT Hub (or an IoT Edge hub) with the Azure device SDK over MQTT 3.1.1.
 *
 * <p>Upstream: a send is {@code sendEventAsync} and completes at the SDK's send callback (IoT Hub's
 * PUBACK). While the client is not connected, sends fail at once with RETRY (they stay in the
 * spool); a send with no answer within {@code sendTimeout}, or still waiting when the client gives
 * up, fails with RETRY ({@link PendingSends}), so a message may arrive twice (its message id stays
 * the same) but is never lost. The client's life, reconnects included, is {@link AzureConnection}'s.
 *
 * <p>Downstream, through the sink's {@link DownstreamSubscription}: cloud-to-device messages
 * ({@link AzureC2d}), completed with IoT Hub only after the local PUBACK; direct methods become local
 * MQTT 5 requests ({@link AzureMethods}); the twin's desired {@code routes} replace the running routes
 * and its reported properties carry the bridge's status ({@link AzureTwin}). All are set up on each
 * new client after it opened.
 *
 * <p>Connection strings and SAS tokens are never logged; logs name the hub and device only.
 */
final class AzureIotHubSink implements Sink, AzureConnection.Events {

    private final String name;
    private final AzureIotHubOptions options;
    private final String display;
    private final DownstreamSubscription downstream = new DownstreamSubscription();
    private final PendingSends pending;
    private final AzureTwin twin;
    private final AzureConnection connection;

    AzureIotHubSink(String name, AzureIotHubOptions options, SinkContext context) {
        this.name = name;
        this.options = options;
        this.display = switch (options.mode()) {
            case CONNECTION_STRING -> options.display(ConnectionStrings.parse(options.connectionString().orElseThrow()
                    .reveal()));
            case X509 -> options.x509().orElseThrow().hostName() + "/" + options.x509().orElseThrow().deviceId();
            case EDGE_MODULE -> "IoT Edge module (output " + options.output() + ")";
        };
        this.pending = PendingSends.withTimeout(context.scheduler(), options.sendTimeout(),
                "no acknowledgement from Azure IoT Hub within " + options.sendTimeout());
        AzureMethods methods = new AzureMethods(name, options.methodTopic(), options.methodTimeout(), downstream,
                context.meters());
        AzureC2d c2d = new AzureC2d(name, options, downstream, this::isClosed, context.meters());
        this.connection = new AzureConnection(name, options, display, c2d, methods, this);
        this.twin = new AzureTwin(name, options.twin(), context.config(), connection.worker(), context.scheduler(),
                (int) Math.min(options.sendTimeout().toMillis(), 30_000));
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
        connection.start();
        return CompletableFuture.completedFuture(null);
    }

    private boolean isClosed() {
        return connection.isClosed();
    }

    @Override
    public void opened(InternalClient client) {
        twin.attach(client);
    }

    @Override
    public void reconnected() {
        twin.refreshSoon(); // desired patches sent while away are not redelivered
    }

    @Override
    public void disconnected(String reason) {
        twin.detach();
        pending.failAll("disconnected from Azure IoT Hub (" + reason + ")");
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        int size = AzureMessages.size(message);
        if (size > options.maxMessageSize()) {
            return CompletableFuture.failedFuture(new DeliveryException(Disposition.PERMANENT,
                    "message of " + size + " bytes (body and properties) exceeds the limit of "
                            + options.maxMessageSize() + " bytes (IoT Hub accepts at most 256 KB)"));
        }
        Optional<InternalClient> connected = connection.connected();
        if (connected.isEmpty()) {
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
        CompletableFuture<Void> result = pending.add();
        if (result.isDone()) {
            return result; // closing
        }
        InternalClient c = connected.get();
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
        }
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

    @Override
    public boolean isConnected() {
        return connection.connected().isPresent();
    }

    @Override
    public CompletionStage<Void> close() {
        if (!connection.markClosed()) {
            return CompletableFuture.completedFuture(null);
        }
        twin.close();
        pending.close("sink " + name + " is closing");
        return connection.closeInBackground();
    }
}
