package io.edgebridge.aws;

import io.edgebridge.config.Backoff;
import io.edgebridge.core.support.BackoffDelays;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.support.SinkThreads;
import io.edgebridge.core.support.TlsFault;
import io.edgebridge.core.support.TlsProbe;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps aws-crt from connecting while a handshake of our own shows a TLS fault, and names the fault.
 * aws-crt (s2n) reports a server certificate it does not trust only after a 10–30 s blinding delay,
 * and a refused client certificate as one of two alternating generic error codes; a stop during the
 * delay waits for it too. A JDK handshake ({@link TlsProbe}) with the same files says at once which
 * file is at fault. While it shows one, the client is not started and the handshake is repeated with
 * the sink's reconnect backoff; each kind of fault is logged at most once per {@link LogLimit}
 * interval, with the count of attempts not logged.
 */
final class TlsGate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AwsIotCoreSink.class);

    private final String sink;
    private final TlsProbe.Target target;
    private final Duration timeout;
    private final Backoff backoff;
    private final ScheduledExecutorService scheduler;
    /** Handshakes block: they run here, one at a time, never on aws-crt's or the bridge's timer threads. */
    private final ExecutorService prober;
    private final LogLimit faults = new LogLimit();
    private final AtomicBoolean diagnosing = new AtomicBoolean();
    private volatile boolean closed;

    TlsGate(String sink, TlsProbe.Target target, Duration timeout, Backoff backoff,
            ScheduledExecutorService scheduler) {
        this.sink = sink;
        this.target = target;
        this.timeout = timeout;
        this.backoff = backoff;
        this.scheduler = scheduler;
        this.prober = SinkThreads.singleThread("aws-tls-" + sink);
    }

    /**
     * Completes once a handshake shows no TLS fault (accepted, or nothing to say, e.g. unreachable: the
     * client's own retries handle that); cancelled when {@code abandoned} turns true or the gate closes.
     */
    CompletableFuture<Void> open(BooleanSupplier abandoned) {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        attempt(ready, abandoned, 0);
        return ready;
    }

    private void attempt(CompletableFuture<Void> ready, BooleanSupplier abandoned, int failed) {
        run(ready, () -> {
            if (closed || abandoned.getAsBoolean()) {
                ready.cancel(false);
                return;
            }
            TlsProbe.Outcome outcome = TlsProbe.probe(target, timeout);
            if (outcome instanceof TlsProbe.Refused refused) {
                long delay = BackoffDelays.millis(backoff, failed);
                report(refused.fault(), delay);
                try {
                    scheduler.schedule(() -> attempt(ready, abandoned, failed + 1), delay, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    ready.cancel(false); // the bridge is stopping
                }
                return;
            }
            if (outcome instanceof TlsProbe.Inconclusive inconclusive) {
                log.atDebug().addKeyValue("sink", sink).log("TLS check inconclusive ({}); connecting",
                        inconclusive.why());
            }
            ready.complete(null);
        });
    }

    /**
     * After aws-crt reported a TLS failure: the fault a handshake of our own shows, if any (empty also
     * while another diagnosis runs). The fault is logged here.
     */
    CompletableFuture<Optional<TlsFault>> diagnose(long nextAttemptMillis) {
        CompletableFuture<Optional<TlsFault>> result = new CompletableFuture<>();
        if (!diagnosing.compareAndSet(false, true)) {
            result.complete(Optional.empty());
            return result;
        }
        run(result, () -> {
            try {
                TlsProbe.Outcome outcome = closed ? new TlsProbe.Inconclusive("closed") : TlsProbe.probe(target, timeout);
                Optional<TlsFault> fault = outcome instanceof TlsProbe.Refused refused
                        ? Optional.of(refused.fault()) : Optional.empty();
                fault.ifPresent(f -> report(f, nextAttemptMillis));
                result.complete(fault);
            } finally {
                diagnosing.set(false);
            }
        });
        return result;
    }

    private void run(CompletableFuture<?> result, Runnable task) {
        try {
            prober.execute(task);
        } catch (RejectedExecutionException e) {
            result.cancel(false);
        }
    }

    private void report(TlsFault fault, long nextAttemptMillis) {
        LogLimit.Pass pass = faults.admit(fault.kind().name());
        if (pass.logs()) {
            log.atWarn().addKeyValue("sink", sink).addKeyValue("endpoint", target.host() + ":" + target.port())
                    .addKeyValue("tlsFault", fault.kind())
                    .log("cannot connect to AWS IoT Core: {}; retrying, next in {} ms (messages wait in the spool){}",
                            fault.message(), nextAttemptMillis, pass.suffix());
        }
    }

    @Override
    public void close() {
        closed = true;
        prober.shutdownNow();
    }
}
