package io.edgebridge.core.internal.admin;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.Direction;
import io.edgebridge.config.RouteConfig;
import io.edgebridge.core.support.EdgeBridgeVersion;
import io.edgebridge.core.internal.health.HealthReport;
import io.edgebridge.core.internal.health.SinkHealth;
import io.edgebridge.core.internal.spool.Spool;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/** The {@code /status} JSON: version, uptime, config, local broker, sinks, routes, spool. */
final class StatusDocument {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final AdminView bridge;

    StatusDocument(AdminView bridge) {
        this.bridge = bridge;
    }

    ObjectNode build() {
        BridgeConfig config = bridge.config();
        HealthReport health = bridge.health().report();
        ObjectNode root = NODES.objectNode();
        root.put("version", EdgeBridgeVersion.get());
        Instant started = bridge.startedAt();
        root.put("startedAt", started.toString());
        root.put("uptime", Duration.between(started, Instant.now()).toSeconds());
        root.put("live", health.live());
        root.put("ready", health.ready());

        ObjectNode cfg = root.putObject("config");
        cfg.put("version", bridge.configVersion());
        cfg.put("fingerprint", config.fingerprint());
        cfg.put("loadedAt", bridge.configLoadedAt().toString());
        config.files().stream().map(Path::toString).forEach(cfg.putArray("files")::add);

        root.putObject("local").put("connected", health.localConnected());

        ObjectNode sinks = root.putObject("sinks");
        for (SinkHealth sink : health.sinks()) {
            ObjectNode s = sinks.putObject(sink.name());
            s.put("type", sink.type());
            s.put("connected", sink.connected());
            s.put("required", sink.required());
            s.put("ready", sink.ready());
            s.put("problem", sink.problem().orElse(null));
            putTime(s, "lastSuccess", sink.lastSuccess());
            s.put("inFlight", sink.inFlight());
            s.put("backlog", sink.backlog());
            putDownstream(s, sink.name(), config, bridge.metrics().registry());
            sink.probe().ifPresent(p -> {
                ObjectNode probe = s.putObject("probe");
                probe.put("topic", p.topic());
                probe.put("interval", Duration.ofMillis(p.intervalMillis()).toString());
                putTime(probe, "lastSent", p.lastSent());
                putTime(probe, "lastOk", p.lastOk());
                probe.put("outstanding", p.outstanding());
                probe.put("lastFailure", p.lastFailure().orElse(null));
            });
        }

        MeterRegistry registry = bridge.metrics().registry();
        ObjectNode routes = root.putObject("routes");
        for (RouteConfig route : config.routes()) {
            Direction direction = route.direction();
            ObjectNode r = routes.putObject(route.name());
            r.put("direction", direction.tag());
            r.put("received", sum(registry, BridgeMeter.RECEIVED, direction, route.name()));
            r.put("forwarded", sum(registry, BridgeMeter.FORWARDED, direction, route.name()));
            r.put("failed", sum(registry, BridgeMeter.FAILED, direction, route.name()));
            r.put("dropped", sum(registry, BridgeMeter.DROPPED, direction, route.name()));
            r.put("deadLettered", sum(registry, BridgeMeter.DEAD_LETTERED, direction, route.name()));
        }

        Spool spool = bridge.spool();
        ObjectNode s = root.putObject("spool");
        s.put("entries", spool == null ? 0 : spool.entryCount());
        s.put("bytes", spool == null ? 0 : spool.bytes());
        s.put("writable", health.spoolProblem().isEmpty());
        s.put("problem", health.spoolProblem().orElse(null));
        return root;
    }

    /**
     * For a sink with downstream routes: what its cloud sent (each message once, and redeliveries),
     * what reached the local broker, and what was dropped by reason, including what the sink itself
     * rejected before any route matched (route {@code *}).
     */
    private static void putDownstream(ObjectNode sinkNode, String sink, BridgeConfig config, MeterRegistry registry) {
        java.util.List<String> routes = config.routes().stream()
                .filter(r -> r instanceof io.edgebridge.config.DownstreamRoute d && d.sink().equals(sink))
                .map(RouteConfig::name).toList();
        if (routes.isEmpty()) {
            return;
        }
        String downstream = Direction.DOWNSTREAM.tag();
        long received = 0;
        for (String route : routes) {
            received += sum(registry, BridgeMeter.RECEIVED, Direction.DOWNSTREAM, route);
        }
        ObjectNode d = sinkNode.putObject("downstream");
        d.put("received", received);
        d.put("redelivered", sumBySink(registry, BridgeMeter.REDELIVERED, sink));
        d.put("forwarded", sumBySink(registry, BridgeMeter.FORWARDED, sink));
        ObjectNode dropped = d.putObject("dropped");
        java.util.Map<String, Double> byReason = new java.util.TreeMap<>();
        for (Counter c : registry.find(BridgeMeter.DROPPED.meterName()).tag("direction", downstream).tag("sink", sink)
                .counters()) {
            byReason.merge(c.getId().getTag("reason"), c.count(), Double::sum);
        }
        byReason.forEach((reason, count) -> {
            if (count >= 1) { // every reason's counter exists from the start; show those that happened
                dropped.put(reason, count.longValue());
            }
        });
    }

    private static long sumBySink(MeterRegistry registry, BridgeMeter meter, String sink) {
        double total = 0;
        for (Counter c : registry.find(meter.meterName()).tag("direction", Direction.DOWNSTREAM.tag())
                .tag("sink", sink).counters()) {
            total += c.count();
        }
        return (long) total;
    }

    private static void putTime(ObjectNode node, String field, OptionalLong epochMillis) {
        if (epochMillis.isPresent()) {
            node.put(field, Instant.ofEpochMilli(epochMillis.getAsLong()).toString());
        } else {
            node.putNull(field);
        }
    }

    private static long sum(MeterRegistry registry, BridgeMeter meter, Direction direction, String route) {
        double total = 0;
        for (Counter c : registry.find(meter.meterName()).tag("direction", direction.tag()).tag("route", route)
                .counters()) {
            total += c.count();
        }
        return (long) total;
    }
}
