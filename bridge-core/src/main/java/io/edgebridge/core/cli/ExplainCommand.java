package io.edgebridge.core.cli;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.FailoverOptions;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.route.CompiledDownstreamRoute;
import io.edgebridge.core.internal.route.CompiledRoute;
import io.edgebridge.core.internal.route.CompiledTarget;
import io.edgebridge.core.internal.route.RenderContext;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgebridge explain --config PATH --topic TOPIC}: which routes a topic matches and what
 * each sink would receive. With {@code --sink NAME} the topic is a cloud topic of that sink and the
 * downstream routes are explained. Exit 0 when something matches, 1 when nothing does.
 */
@Command(name = "explain", description = "Show which routes a topic matches and what each target would receive.")
final class ExplainCommand extends ConfigCommand {

    private static final int MAX_SHOWN_PAYLOAD = 500;

    @Option(names = {"-t", "--topic"}, required = true, description = "A local topic (or, with --sink, a cloud topic).")
    String topic;

    @Option(names = {"-p", "--payload"}, defaultValue = "", description = "Example payload (UTF-8 text).")
    String payload;

    @Option(names = {"-s", "--sink"}, description = "Explain downstream routes for a message this sink receives.")
    String sink;

    @Override
    int run(BridgeConfig loaded, List<SinkFactory> factories) {
        Optional<String> invalid = Topics.checkTopicName(topic, true);
        if (invalid.isPresent()) {
            spec.commandLine().getErr().println("edgebridge: not a topic name: " + invalid.get());
            return Main.EXIT_INVALID_CONFIG;
        }
        RouteTable routes = RouteTable.compile(loaded, new BridgeMetrics(new SimpleMeterRegistry()));
        PrintWriter out = spec.commandLine().getOut();
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        return sink == null ? upstream(loaded, routes, out, body) : downstream(loaded, routes, out, body);
    }

    private int upstream(BridgeConfig loaded, RouteTable routes, PrintWriter out, byte[] body) {
        String[] levels = Topics.levels(topic);
        int matched = 0;
        long now = System.currentTimeMillis();
        for (CompiledRoute route : routes.upstream()) {
            String[] bindings = route.match(topic, levels);
            if (bindings == null) {
                continue;
            }
            matched++;
            out.printf("route %s (from %s%s)%n", route.name(), route.filter().text(),
                    describeBindings(route.filter().bindingNames(), bindings));
            for (CompiledTarget target : route.targets()) {
                String type = loaded.sink(target.sink()).map(ExplainCommand::describe).orElse("?");
                OutboundMessage message = target.render(
                        new RenderContext(topic, bindings, route.name(), target.sink(), now, body), 0);
                out.printf("  -> sink %s (%s): topic %s, qos %d%s%n", target.sink(), type, message.topic(),
                        message.qos(), message.retain() ? ", retain" : "");
                out.printf("     payload (%d bytes): %s%n", message.payload().length, show(message.payload()));
                if (!message.properties().isEmpty()) {
                    out.printf("     properties: %s%n", message.properties());
                }
                if (!message.rendered().isEmpty()) {
                    out.printf("     %s%n", message.rendered());
                }
                message.contentType().ifPresent(ct -> out.printf("     content type: %s%n", ct));
            }
        }
        if (matched == 0) {
            out.printf("%s matches no upstream route: it is not bridged.%n", topic);
            return 1;
        }
        return 0;
    }

    private int downstream(BridgeConfig loaded, RouteTable routes, PrintWriter out, byte[] body) {
        if (loaded.sink(sink).isEmpty()) {
            spec.commandLine().getErr().println("edgebridge: no sink named '" + sink + "'; sinks: " + loaded.sinks().keySet());
            return Main.EXIT_INVALID_CONFIG;
        }
        String[] levels = Topics.levels(topic);
        int matched = 0;
        for (CompiledDownstreamRoute route : routes.downstreamFor(sink)) {
            Optional<CompiledDownstreamRoute.Result> result = route.render(topic, levels, body, System.currentTimeMillis());
            if (result.isEmpty()) {
                continue;
            }
            matched++;
            if (result.get() instanceof CompiledDownstreamRoute.Rejected rejected) {
                out.printf("route %s (from %s): REJECTED, %s%n", route.name(), route.filter().text(), rejected.reason());
            } else {
                CompiledDownstreamRoute.Publish publish = (CompiledDownstreamRoute.Publish) result.get();
                out.printf("route %s (from %s) -> local topic %s, qos 1%s%n", route.name(), route.filter().text(),
                        publish.topic(), publish.retain() ? ", retain" : "");
                out.printf("     payload (%d bytes): %s%n", publish.payload().length, show(publish.payload()));
                if (!publish.properties().isEmpty()) {
                    out.printf("     properties: %s%n", publish.properties());
                }
            }
        }
        if (matched == 0) {
            out.printf("%s from sink %s matches no downstream route.%n", topic, sink);
            return 1;
        }
        return 0;
    }

    /** The sink's type; for a failover group also its members, in order. */
    private static String describe(SinkConfig sink) {
        if (sink.options() instanceof FailoverOptions failover) {
            return sink.type() + ": " + String.join(", then ", failover.members());
        }
        return sink.type();
    }

    private static String describeBindings(List<String> names, String[] values) {
        if (names.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(": ");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(names.get(i)).append('=').append(values[i]);
        }
        return sb.toString();
    }

    private static String show(byte[] bytes) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            return text.length() > MAX_SHOWN_PAYLOAD ? text.substring(0, MAX_SHOWN_PAYLOAD) + "..." : text;
        } catch (CharacterCodingException e) {
            return "<binary>";
        }
    }
}
