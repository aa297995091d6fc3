package io.edgebridge.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A liveness probe as an orchestrator runs one: every {@code interval} a new connection to the admin
 * server, {@code GET <path>}, a time limit for the answer. Records each probe's status (or none) and
 * latency, so a fault test can assert the bridge stayed answerable throughout the fault.
 */
public final class HealthProbe implements AutoCloseable {

    /** One probe: the HTTP status ({@code -1}: no answer within the limit, or the connection failed). */
    public record Result(int status, Duration latency, String problem) {
    }

    private final int port;
    private final String path;
    private final Duration timeout;
    private final List<Result> results = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "health-probe");
        t.setDaemon(true);
        return t;
    });

    private HealthProbe(int port, String path, Duration interval, Duration timeout) {
        this.port = port;
        this.path = path;
        this.timeout = timeout;
        timer.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts probing {@code path} every {@code interval}, each probe allowed {@code timeout}. */
    public static HealthProbe start(int port, String path, Duration interval, Duration timeout) {
        return new HealthProbe(port, path, interval, timeout);
    }

    private void probe() {
        long start = System.nanoTime();
        int status = -1;
        String problem = "";
        try (Socket socket = new Socket()) {
            int millis = (int) timeout.toMillis();
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), millis);
            socket.setSoTimeout(millis);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String line = statusLine(socket.getInputStream());
            String[] parts = line.split(" ");
            status = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        } catch (IOException | NumberFormatException e) {
            problem = e.toString();
        }
        Duration latency = Duration.ofNanos(System.nanoTime() - start);
        if (latency.compareTo(timeout) > 0) {
            status = -1; // answered, but later than a probe waits
            problem = "answered after " + latency.toMillis() + " ms";
        }
        synchronized (this) {
            results.add(new Result(status, latency, problem));
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != -1 && b != '\n' && line.length() < 200; b = in.read()) {
            line.append((char) b);
        }
        return line.toString().trim();
    }

    public synchronized List<Result> results() {
        return List.copyOf(results);
    }

    /** The slowest probe so far. */
    public synchronized Duration slowest() {
        return results.stream().map(Result::latency).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /** Asserts that at least {@code min} probes ran and every one was answered {@code status} in time. */
    public HealthProbe assertAllAnswered(int status, int min) {
        List<Result> all = results();
        assertThat(all).as("probes of %s", path).hasSizeGreaterThanOrEqualTo(min);
        assertThat(all).as("probes of %s answered %d within %d ms", path, status, timeout.toMillis())
                .allSatisfy(r -> assertThat(r.status()).as(r.toString()).isEqualTo(status));
        return this;
    }

    /** Stops probing; waits for a probe under way. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
