package io.edgebridge.azure;

import com.microsoft.azure.sdk.iot.device.ConnectionStatusChangeContext;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.InternalClient;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.transport.IotHubConnectionStatus;
import com.microsoft.azure.sdk.iot.device.twin.MethodCallback;
import io.edgebridge.core.support.BackoffDelays;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.support.SinkThreads;
import io.edgebridge.core.support.TlsFault;
import io.edgebridge.core.support.TlsFaults;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's Azure SDK client through its life: created and opened on the sink's own thread,
 * retried with {@code reconnect} backoff until one is open; set up once open (cloud-to-device
 * messages, direct methods, then {@link Events#opened}); followed through the SDK's status changes.
 * The SDK reconnects by itself and renews SAS tokens; when it gives up (its status becomes
 * DISCONNECTED) that client is closed and a new one opened. Connection strings and SAS tokens are
 * never logged; logs name the hub and device only.
 */
final class AzureConnection {

    /** Logs as the sink: one logger name for an operator to follow. */
    private static final Logger log = LoggerFactory.getLogger(AzureIotHubSink.class);
    private static final long CLOSE_WAIT_SECONDS = 15;

    /** What the sink does when the client's state changes; called on the SDK's or the connection's thread. */
    interface Events {
        /** A new client opened and its methods are set up: the twin may attach to it. */
        void opened(InternalClient client);

        /** The SDK connected again by itself after a drop. */
        void reconnected();

        /** The client is disconnected for good (it gave up, or closes): what waits on it fails. */
        void disconnected(String reason);
    }

    private final String name;
    private final AzureIotHubOptions options;
    private final String display;
    private final AzureC2d c2d;
    private final MethodCallback methods;
    private final Events events;
    private final ExecutorService opener;
    private final Object lock = new Object();
    private final LogLimit tlsFaultLog = new LogLimit();
    private volatile InternalClient client;
    private volatile IotHubConnectionStatus status = IotHubConnectionStatus.DISCONNECTED;
    private volatile boolean closed;
    private volatile boolean inOpen;
    private boolean started; // guarded by lock
    private Future<?> opening; // guarded by lock
    private InternalClient closing; // guarded by lock: the client taken by markClosed

    AzureConnection(String name, AzureIotHubOptions options, String display, AzureC2d c2d, MethodCallback methods,
            Events events) {
        this.name = name;
        this.options = options;
        this.display = display;
        this.c2d = c2d;
        this.methods = methods;
        this.events = events;
        this.opener = SinkThreads.singleThread("edgebridge-azure-" + name);
    }

    /** The thread the client is opened on; the twin's blocking calls run there too. */
    ExecutorService worker() {
        return opener;
    }

    /** Starts opening a client in the background; once only, and not after {@link #close}. */
    void start() {
        synchronized (lock) {
            if (closed || started) {
                return;
            }
            started = true;
            log.atInfo().addKeyValue("sink", name).addKeyValue("identity", display)
                    .log("connecting to Azure IoT Hub");
            opening = opener.submit(this::openLoop);
        }
    }

    /** The client, while it is open and connected. */
    Optional<InternalClient> connected() {
        InternalClient c = client;
        return !closed && c != null && status == IotHubConnectionStatus.CONNECTED ? Optional.of(c) : Optional.empty();
    }

    boolean isClosed() {
        return closed;
    }

    /** Creates and opens a client, retrying with backoff until one is open or the sink closes. */
    private void openLoop() {
        int attempt = 0;
        String lastProblem = null;
        while (!closed) {
            InternalClient c = null;
            try {
                c = AzureClients.create(name, options);
                InternalClient self = c;
                c.setConnectionStatusChangeCallback(ctx -> onStatus(self, ctx), null);
                if (c2d.wanted()) {
                    if (c instanceof DeviceClient device) {
                        device.setMessageCallback((message, ctx) -> c2d.onMessage(message), null);
                    } else {
                        ((ModuleClient) c).setMessageCallback((message, ctx) -> c2d.onMessage(message), null);
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
                events.opened(c);
                return;
            } catch (IotHubClientException | RuntimeException | GeneralSecurityException | IOException e) {
                if (c != null) {
                    client = null;
                    closeQuietly(c);
                }
                lastProblem = logOpenFailure(e, attempt, lastProblem);
            }
            try {
                Thread.sleep(BackoffDelays.millis(options.reconnect(), attempt++));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Logs a failed open; returns the problem to compare the next one with. */
    private String logOpenFailure(Exception e, int attempt, String lastProblem) {
        Optional<TlsFault> tls = TlsFaults.classify(e, AzureClients.tlsFiles(options));
        if (tls.isPresent()) {
            // The SDK wraps the JDK's TLS error in its own: name the file at fault, once per kind and interval.
            LogLimit.Pass pass = tlsFaultLog.admit(tls.get().kind().name());
            if (pass.logs()) {
                log.atWarn().addKeyValue("sink", name).addKeyValue("identity", display)
                        .addKeyValue("tlsFault", tls.get().kind())
                        .log("cannot connect to Azure IoT Hub: {}; retrying{}", tls.get().message(), pass.suffix());
            }
            return lastProblem;
        }
        String problem = AzureClients.problem(e);
        var event = problem.equals(lastProblem) && attempt % 20 != 0 ? log.atDebug() : log.atWarn();
        event.addKeyValue("sink", name).addKeyValue("identity", display)
                .log("cannot connect to Azure IoT Hub: {}; retrying", problem);
        return problem;
    }

    /**
     * Direct methods are answered by the sink (404 without a route); a hub that has none (IoT Hub's
     * basic tier) is logged and the sink works on without them.
     */
    private void subscribeToMethods(InternalClient c) {
        try {
            c.subscribeToMethods(methods, null, (int) Math.min(options.sendTimeout().toMillis(), 30_000));
        } catch (IotHubClientException | RuntimeException e) {
            log.atWarn().addKeyValue("sink", name).addKeyValue("identity", display)
                    .log("direct methods are not available ({}); device-to-cloud messages go on", AzureClients.problem(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
                    events.reconnected();
                }
            }
            case DISCONNECTED_RETRYING -> {
                if (was == IotHubConnectionStatus.CONNECTED) {
                    log.atWarn().addKeyValue("sink", name).addKeyValue("identity", display)
                            .log("disconnected from Azure IoT Hub ({}); the SDK is reconnecting", reason);
                }
            }
            case DISCONNECTED -> {
                events.disconnected(reason);
                if (!closed && !inOpen && !"CLIENT_CLOSE".equals(reason)) {
                    log.atWarn().addKeyValue("sink", name).addKeyValue("identity", display)
                            .log("the Azure SDK gave up reconnecting ({}); opening a new client", reason);
                    reopen(c);
                }
            }
            default -> {
                // no other states
            }
        }
    }

    private void reopen(InternalClient gaveUp) {
        synchronized (lock) {
            if (!closed && client == gaveUp) {
                client = null;
                opening = opener.submit(() -> {
                    closeQuietly(gaveUp);
                    openLoop();
                });
            }
        }
    }

    /**
     * Stops opening and marks the connection closed (returns false when it already was); the
     * client and the thread are closed by {@link #closeInBackground}.
     */
    boolean markClosed() {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            closed = true;
            closing = client;
            client = null;
            if (opening != null) {
                opening.cancel(true);
            }
            return true;
        }
    }

    /** After {@link #markClosed}: closes the client and the connection's thread on a thread of their own; bounded. */
    CompletableFuture<Void> closeInBackground() {
        InternalClient c;
        synchronized (lock) {
            c = closing;
            closing = null;
        }
        return SinkThreads.closeInBackground("edgebridge-azure-close-" + name, () -> {
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
            }
        });
    }

    private void closeQuietly(InternalClient c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            log.atDebug().addKeyValue("sink", name).log("closing the Azure client: {}", e.toString());
        }
    }
}
