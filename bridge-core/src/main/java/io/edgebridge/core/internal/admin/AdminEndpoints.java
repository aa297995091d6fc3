package io.edgebridge.core.internal.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgebridge.core.internal.health.HealthReport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/** The admin endpoints: {@code /metrics}, {@code /health/live}, {@code /health/ready}, {@code /status}. */
final class AdminEndpoints {

    static final String METRICS = "/metrics";
    static final String LIVE = "/health/live";
    static final String READY = "/health/ready";
    static final String STATUS = "/status";
    private static final List<String> PATHS = List.of(METRICS, LIVE, READY, STATUS);

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AdminView bridge;
    private final Optional<PrometheusMeterRegistry> prometheus;
    private final StatusDocument status;

    AdminEndpoints(AdminView bridge) {
        this.bridge = bridge;
        this.prometheus = prometheus(bridge.metrics().registry());
        this.status = new StatusDocument(bridge);
    }

    List<String> paths() {
        return PATHS;
    }

    /** Answers a GET (or HEAD) of one of {@link #paths()}. */
    AdminResponse handle(String path, String accept) {
        return switch (path) {
            case METRICS -> metrics(accept);
            case LIVE -> live();
            case READY -> ready();
            case STATUS -> json(HttpResponseStatus.OK, status.build());
            default -> throw new IllegalArgumentException("no endpoint " + path);
        };
    }

    private AdminResponse metrics(String accept) {
        if (prometheus.isEmpty()) {
            return AdminResponse.text(HttpResponseStatus.NOT_FOUND, "this bridge has no Prometheus registry\n");
        }
        // Only the two text formats: a scraper offering protobuf gets text, which every scraper reads.
        String type = accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS_TEXT
                : PROMETHEUS_TEXT;
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            prometheus.get().scrape(out, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return new AdminResponse(HttpResponseStatus.OK, type, out.toByteArray());
    }

    private AdminResponse live() {
        boolean live = bridge.health().live();
        return json(live ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                JSON.createObjectNode().put("status", live ? "live" : "stopping"));
    }

    private AdminResponse ready() {
        HealthReport report = bridge.health().report();
        ObjectNode body = JSON.createObjectNode();
        if (report.ready()) {
            return json(HttpResponseStatus.OK, body.put("status", "ready"));
        }
        body.put("status", report.live() ? "not ready" : "stopping");
        ArrayNode failed = body.putArray("failed");
        for (HealthReport.Failure failure : report.failures()) {
            failed.addObject().put("check", failure.check()).put("reason", failure.reason());
        }
        return json(HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    private static AdminResponse json(HttpResponseStatus status, ObjectNode body) {
        try {
            return new AdminResponse(status, AdminResponse.JSON, JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Optional<PrometheusMeterRegistry> prometheus(MeterRegistry registry) {
        if (registry instanceof PrometheusMeterRegistry p) {
            return Optional.of(p);
        }
        if (registry instanceof CompositeMeterRegistry composite) {
            for (MeterRegistry member : composite.getRegistries()) {
                if (member instanceof PrometheusMeterRegistry p) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
