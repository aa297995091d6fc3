package io.edgebridge.core.it.faults;

import io.edgebridge.core.testing.Publisher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Several device connections publishing QoS 1 at full speed, each from its own thread, each with its
 * own window of unacknowledged publishes: a load the broker can acknowledge faster than any bridge
 * spools it. Payloads are {@code <prefix><connection>-<n>-} padded with {@code x} to {@code size} bytes.
 */
final class DeviceFleet implements AutoCloseable {

    private final List<Publisher> connections = new ArrayList<>();
    private final ExecutorService threads;
    private final String prefix;
    private final int size;

    DeviceFleet(int port, int connections, int window, String prefix, int size) {
        for (int i = 0; i < connections; i++) {
            this.connections.add(new Publisher(port, window));
        }
        this.threads = Executors.newFixedThreadPool(connections);
        this.prefix = prefix;
        this.size = size;
    }

    /** Publishes {@code perConnection} messages on every connection; returns when all are acknowledged or failed. */
    void publish(int perConnection, String topicPrefix) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int c = 0; c < connections.size(); c++) {
            int connection = c;
            Publisher publisher = connections.get(c);
            done.add(CompletableFuture.runAsync(() -> {
                for (int n = 0; n < perConnection; n++) {
                    publisher.publish(topicPrefix + connection + "/telemetry", payload(connection, n));
                }
            }, threads));
        }
        try {
            CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
            for (Publisher publisher : connections) {
                publisher.drain(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("devices did not finish publishing: " + e, e);
        }
    }

    private String payload(int connection, int n) {
        StringBuilder sb = new StringBuilder(size).append(prefix).append(connection).append('-').append(n).append('-');
        while (sb.length() < size) {
            sb.append('x');
        }
        return sb.toString();
    }

    /** Payloads the broker acknowledged on any connection. */
    Set<String> acknowledged() {
        Set<String> all = new HashSet<>();
        connections.forEach(p -> all.addAll(p.ackedPayloads()));
        return all;
    }

    int failed() {
        return connections.stream().mapToInt(Publisher::failed).sum();
    }

    @Override
    public void close() {
        connections.forEach(Publisher::close);
        threads.shutdownNow();
    }
}
