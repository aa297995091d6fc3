package io.edgebridge.aws;

import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.support.PendingSends;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.crt.mqtt5.Mqtt5Client;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions;
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
import software.amazon.awssdk.crt.mqtt5.packets.PublishPacket;

/**
 * One aws-crt client and what happened to it: its connection state, its sends waiting for a PUBACK
 * ({@link PendingSends}: they fail with RETRY when the connection drops or the client is retired),
 * and its downstream deliveries ({@link AwsDownstream}). Connection failures are logged once per
 * class and interval; a TLS failure is handed to the {@link TlsGate}, which names the file at fault
 * and, if there is one, has the connector replace this client by one held back until it is fixed.
 */
final class AwsConnection implements Mqtt5ClientOptions.LifecycleEvents, Mqtt5ClientOptions.PublishEvents {

    /** Logs as the sink: one logger name for an operator to follow. */
    private static final Logger log = LoggerFactory.getLogger(AwsIotCoreSink.class);
    private static final long STOP_WAIT_SECONDS = 10;

    /**
     * What every connection of a sink shares.
     *
     * @param failureLog aws-crt's connection failures by class (TLS, or the error's name): one line per class and interval
     * @param regate     replaces a connection whose TLS fault the gate confirmed
     */
    record Shared(String sink, AwsIotCoreOptions options, ScheduledExecutorService scheduler,
            DownstreamSubscription downstream, TlsGate gate, LogLimit failureLog, Consumer<AwsConnection> regate) {
    }

    private final Shared shared;
    private final String sink;
    private final AwsIotCoreOptions options;
    private final int number;
    private final Mqtt5Client client;
    private final PendingSends pending;
    private final AwsDownstream downstream;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile boolean connected;
    private volatile boolean everConnected;
    private volatile boolean retired;
    private volatile String lastFailure;

    /** Builds the client (not started) from the certificate files as they are now; throws when they cannot be used. */
    AwsConnection(int number, Shared shared) {
        this.shared = shared;
        this.sink = shared.sink();
        this.options = shared.options();
        this.number = number;
        // Whatever the client does with its own ack timeout, a send must end: one that stayed open for
        // ever would hold its place in the pump's window and in the rate limit.
        this.pending = PendingSends.withTimeout(shared.scheduler(), options.operationTimeout(),
                "no PUBACK from AWS IoT Core within operationTimeout (" + options.operationTimeout().toSeconds() + " s)");
        this.downstream = new AwsDownstream(sink, shared.downstream());
        this.client = AwsClients.build(options, this);
    }

    void start() {
        client.start();
    }

    boolean connected() {
        return connected;
    }

    boolean everConnected() {
        return everConnected;
    }

    boolean retired() {
        return retired;
    }

    /** The last connection failure, until the next success. */
    String lastFailure() {
        return lastFailure;
    }

    /** Publishes {@code packet}; completes on the PUBACK, fails as the engine should treat the failure. */
    CompletableFuture<Void> publish(PublishPacket packet) {
        CompletableFuture<Void> result = pending.add();
        if (result.isDone()) {
            return result; // retired meanwhile
        }
        CompletableFuture<PublishResult> published;
        try {
            published = client.publish(packet);
        } catch (RuntimeException e) {
            result.completeExceptionally(AwsFailures.classify(e));
            return result;
        }
        published.whenComplete((r, error) -> {
            if (error != null) {
                result.completeExceptionally(AwsFailures.classify(error));
            } else {
                AwsFailures.refusal(r).ifPresentOrElse(result::completeExceptionally, () -> result.complete(null));
            }
        });
        return result;
    }

    /** Stops the client: its sends in flight fail with RETRY, its downstream messages stay unacknowledged. */
    CompletableFuture<Void> retire(String why) {
        retired = true;
        connected = false;
        pending.close(why);
        try {
            client.stop();
        } catch (RuntimeException e) {
            stopped.complete(null);
        }
        return stopped.orTimeout(STOP_WAIT_SECONDS, TimeUnit.SECONDS).handle((v, e) -> {
            synchronized (this) {
                client.close();
            }
            return null;
        });
    }

    @Override
    public void onAttemptingConnect(Mqtt5Client c, OnAttemptingConnectReturn r) {
        log.atDebug().addKeyValue("sink", sink).addKeyValue("endpoint", options.display())
                .addKeyValue("connection", number).log("connecting");
    }

    @Override
    public void onConnectionSuccess(Mqtt5Client c, OnConnectionSuccessReturn r) {
        if (retired) {
            return;
        }
        ConnAckPacket connAck = r.getConnAckPacket();
        boolean resumed = connAck != null && connAck.getSessionPresent();
        downstream.connected(resumed);
        connected = true;
        everConnected = true;
        lastFailure = null;
        log.atInfo().addKeyValue("sink", sink).addKeyValue("endpoint", options.display())
                .addKeyValue("clientId", options.clientId()).addKeyValue("sessionPresent", resumed)
                .log("connected to AWS IoT Core");
        List<String> f = downstream.filters();
        if (!f.isEmpty()) {
            shared.scheduler().execute(() -> downstream.subscribe(client, f));
        }
    }

    @Override
    public void onConnectionFailure(Mqtt5Client c, OnConnectionFailureReturn r) {
        connected = false;
        if (retired) {
            return;
        }
        ConnAckPacket connAck = r.getConnAckPacket();
        String failure = AwsFailures.errorText(r.getErrorCode())
                + (connAck == null || connAck.getReasonCode() == null ? "" : "; CONNACK " + connAck.getReasonCode()
                        + (connAck.getReasonString() == null ? "" : " (" + connAck.getReasonString() + ")"));
        lastFailure = failure;
        if (!failure.contains("_TLS_")) {
            logFailure(AwsFailures.failureClass(r.getErrorCode(), connAck), failure);
            return;
        }
        // s2n says only "negotiation failed" or "read failure" (alternating for one cause): a handshake of
        // our own names the file at fault, and holds the client back until it is fixed.
        shared.gate().diagnose(options.reconnect().max().toMillis()).thenAccept(fault -> {
            if (fault.isPresent()) {
                shared.regate().accept(this);
            } else {
                logFailure("tls", failure + " (the TLS handshake failed: check that the certificate is"
                        + " registered and active in IoT Core, that it matches the private key, and the ca file)");
            }
        });
    }

    private void logFailure(String failureClass, String failure) {
        LogLimit.Pass pass = shared.failureLog().admit(failureClass);
        if (pass.logs()) {
            log.atWarn().addKeyValue("sink", sink).addKeyValue("endpoint", options.display())
                    .addKeyValue("clientId", options.clientId()).addKeyValue("certificate", options.certificate())
                    .log("cannot connect to AWS IoT Core: {}; retrying{}", failure, pass.suffix());
        }
    }

    @Override
    public void onDisconnection(Mqtt5Client c, OnDisconnectionReturn r) {
        boolean was = connected;
        connected = false;
        pending.failAll("connection lost");
        if (was && !retired) {
            log.atWarn().addKeyValue("sink", sink).addKeyValue("endpoint", options.display())
                    .log("disconnected from AWS IoT Core: {}; reconnecting", AwsFailures.errorText(r.getErrorCode()));
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
        downstream.received(p, connected, () -> acknowledge(ack));
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
                log.atDebug().addKeyValue("sink", sink).log("acknowledgement not sent: {}", AwsFailures.crtReason(e));
            }
        }
    }
}
