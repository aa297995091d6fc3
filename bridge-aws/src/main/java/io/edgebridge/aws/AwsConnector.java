package io.edgebridge.aws;

import io.edgebridge.config.tls.TlsFileCheck;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.support.FileWatcher;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.support.TlsProbe;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.crt.CrtRuntimeException;

/**
 * Keeps the sink's one current {@link AwsConnection}: opens the first at start; a {@link FileWatcher}
 * hashes the certificate, key and CA files every {@code rotationCheck}, and on a change this opens a new client from
 * them and retires the old one (its sends in flight fail with RETRY); replaces a client whose TLS
 * fault the {@link TlsGate} confirmed by one held back until the fault is gone; retires the last at
 * close. A rotation that installs an expired, unreadable or mismatched file keeps the current
 * connection and says which file is wrong, once per distinct problem.
 */
final class AwsConnector {

    /** Logs as the sink: one logger name for an operator to follow. */
    private static final Logger log = LoggerFactory.getLogger(AwsIotCoreSink.class);

    private final String name;
    private final AwsIotCoreOptions options;
    private final SinkContext context;
    private final TlsGate gate;
    private final AwsConnection.Shared shared;
    private final Object lock = new Object();
    private volatile AwsConnection current;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile FileWatcher certificateWatch;
    private String lastOpenProblem; // guarded by lock
    private int generation; // guarded by lock

    AwsConnector(String name, AwsIotCoreOptions options, SinkContext context, DownstreamSubscription downstream) {
        this.name = name;
        this.options = options;
        this.context = context;
        this.gate = new TlsGate(name, new TlsProbe.Target(options.endpoint(), options.port(),
                options.port() == 443 ? List.of(AwsClients.ALPN_MQTT) : List.of(), options.ca(),
                Optional.of(options.certificate()), Optional.of(options.privateKey())), options.connectTimeout(),
                options.reconnect(), context.scheduler());
        this.shared = new AwsConnection.Shared(name, options, context.scheduler(), downstream, gate, new LogLimit(),
                this::regate);
    }

    /** The current connection, while it is connected and the sink open. */
    Optional<AwsConnection> connected() {
        AwsConnection c = current;
        return !closed && c != null && c.connected() ? Optional.of(c) : Optional.empty();
    }

    /** Opens the first connection and starts the rotation check; once only, and not after {@link #close}. */
    void start() {
        synchronized (lock) {
            if (closed || started) {
                return;
            }
            started = true;
            log.atInfo().addKeyValue("sink", name).addKeyValue("endpoint", options.display())
                    .addKeyValue("clientId", options.clientId()).addKeyValue("certificate", options.certificate())
                    .log("connecting to AWS IoT Core");
            // The CA file counts too: replacing a wrong one must take effect without a restart.
            FileWatcher.Builder files = FileWatcher.builder("certificate files of sink " + name)
                    .watch(options.certificate()).watch(options.privateKey())
                    .interval(options.rotationCheck()).scheduler(context.scheduler())
                    .onChange(this::switchTo);
            options.ca().ifPresent(files::watch);
            certificateWatch = files.build();
        }
        // Outside the lock: a poll holds the watcher's lock and then takes ours. The first poll opens
        // the first client (every file counts as changed); later ones notice a rotation.
        certificateWatch.checkNow();
        certificateWatch.start();
    }

    /**
     * Opens a client from the files as they are now: the first, or after a rotation. False leaves the
     * change to be reported again at the next check (a file problem, or one aws-crt cannot use yet).
     */
    private boolean switchTo(FileWatcher.Change change) {
        synchronized (lock) {
            return closed || switchToLocked(change);
        }
    }

    private boolean switchToLocked(FileWatcher.Change change) {
        AwsConnection old = current;
        // The same checks as the config loader's, with the same words: a rotation that installs an expired,
        // unreadable or mismatched file keeps the current connection and says which file is wrong.
        Optional<String> fileProblem = fileProblem();
        if (fileProblem.isPresent()) {
            openProblem(fileProblem.get() + (old != null ? "; keeping the current connection" : ""));
            return false;
        }
        Optional<AwsConnection> next = open();
        if (next.isEmpty()) {
            return false; // e.g. a file half-written during a rotation: try again at the next check
        }
        lastOpenProblem = null;
        if (old != null) {
            // Only the certificate's hash is shown; nothing derived from the key is.
            log.atInfo().addKeyValue("sink", name)
                    .addKeyValue("certificateSha256", change.fingerprint(options.certificate()).substring(0, 16))
                    .log("certificate files changed: reconnecting with the new certificate");
            old.retire("the connection is being replaced after a certificate rotation");
        }
        current = next.get();
        startWhenTlsAccepted(next.get());
        return true;
    }

    private Optional<String> fileProblem() {
        List<TlsFileCheck.Finding> findings = new ArrayList<>(TlsFileCheck.certificateAndKey(options.certificate(),
                TlsFileCheck.label(options.certificate()), options.privateKey(), TlsFileCheck.label(options.privateKey()),
                Optional.empty(), Instant.now()));
        options.ca().ifPresent(ca -> findings.addAll(TlsFileCheck.caFile(ca, TlsFileCheck.label(ca), Instant.now())));
        return findings.stream().filter(TlsFileCheck.Finding::error).map(TlsFileCheck.Finding::message)
                .reduce((a, b) -> a + "; " + b);
    }

    /** Under lock: a new connection, or empty (logged) when aws-crt cannot use the files. */
    private Optional<AwsConnection> open() {
        try {
            return Optional.of(new AwsConnection(++generation, shared));
        } catch (CrtRuntimeException | IllegalArgumentException e) {
            openProblem("cannot use the certificate and key: " + AwsFailures.crtReason(e));
            return Optional.empty();
        }
    }

    /** Starts {@code c}'s client once a handshake of our own shows no TLS fault (see {@link TlsGate}). */
    private void startWhenTlsAccepted(AwsConnection c) {
        gate.open(() -> c.retired() || closed).thenRun(() -> {
            synchronized (lock) {
                if (c.retired() || closed) {
                    return;
                }
                c.start();
            }
            context.scheduler().schedule(() -> {
                if (!c.everConnected() && !c.retired() && !closed && c.lastFailure() == null) {
                    log.atWarn().addKeyValue("sink", name).addKeyValue("endpoint", options.display())
                            .log("not connected to AWS IoT Core {} after start; still trying (messages wait in the"
                                    + " spool)", options.connectTimeout());
                }
            }, options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    /** After a TLS fault of a running client: a new client, held back until the fault is gone. */
    private void regate(AwsConnection c) {
        synchronized (lock) {
            if (c != current || closed) {
                return;
            }
            Optional<AwsConnection> next = open();
            if (next.isEmpty()) {
                return;
            }
            c.retire("TLS fault: waiting for it to be fixed");
            current = next.get();
            startWhenTlsAccepted(next.get());
        }
    }

    private void openProblem(String problem) {
        if (!problem.equals(lastOpenProblem)) { // checked every rotationCheck: logged once per distinct problem
            lastOpenProblem = problem;
            log.atError().addKeyValue("sink", name).addKeyValue("certificate", options.certificate())
                    .addKeyValue("privateKey", options.privateKey()).log(problem);
        }
    }

    /** Retires the current connection; waits for its stop only if it was connected (a session to end politely). */
    CompletionStage<Void> close() {
        AwsConnection c;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
            c = current;
            current = null;
        }
        FileWatcher watch = certificateWatch;
        if (watch != null) {
            watch.close();
        }
        gate.close();
        if (c == null) {
            return CompletableFuture.completedFuture(null);
        }
        boolean wasConnected = c.connected();
        CompletableFuture<Void> stopped = c.retire("sink " + name + " is closing");
        if (!wasConnected) {
            // Nothing in flight and no session to end politely: do not wait for a client that may be inside
            // a connect attempt or s2n's 10-30 s blinding delay; it is released when it stops.
            return CompletableFuture.completedFuture(null);
        }
        return stopped.thenRun(() -> log.atInfo().addKeyValue("sink", name).log("disconnected from AWS IoT Core"));
    }
}
