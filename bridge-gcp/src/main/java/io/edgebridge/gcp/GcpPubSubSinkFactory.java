package io.edgebridge.gcp;

import com.google.auth.oauth2.ServiceAccountCredentials;
import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.gcp.GcpPubSubOptions.Batching;
import io.edgebridge.gcp.GcpPubSubOptions.Cloud;
import io.edgebridge.gcp.GcpPubSubOptions.Connection;
import io.edgebridge.gcp.GcpPubSubOptions.Downstream;
import io.edgebridge.gcp.GcpPubSubOptions.Emulator;
import io.edgebridge.gcp.GcpPubSubOptions.FlowControl;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code type: gcp-pubsub}: Google Cloud Pub/Sub with the Google Cloud client library
 * (google-cloud-pubsub, gRPC). Upstream: a batching publisher per topic, with attributes and
 * ordering keys; downstream: a streaming-pull subscription.
 */
public final class GcpPubSubSinkFactory implements SinkFactory {

    public static final String TYPE = "gcp-pubsub";
    static final String DEFAULT_ENDPOINT = "pubsub.googleapis.com:443";
    static final String DEFAULT_DOWNSTREAM_TOPIC = "commands/<deviceId>";

    static final Set<String> KEYS = Set.of("project", "emulatorHost", "endpoint", "credentialsFile", "ca", "batching",
            "flowControl", "downstream");
    static final Set<String> BATCHING_KEYS = Set.of("messages", "bytes", "delay");
    static final Set<String> FLOW_CONTROL_KEYS = Set.of("messages", "bytes");
    static final Set<String> DOWNSTREAM_KEYS = Set.of("subscription", "topic", "flowControl", "timeout");

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Object parseOptions(String sinkName, ConfigMap options) {
        options.checkKeys(KEYS);
        String project = options.requiredString("project");
        if (!project.isEmpty()) {
            PubSubNames.projectProblem(project).ifPresent(p -> options.problem("project", p));
        }
        Optional<Connection> connection = connection(options);
        Batching batching = batching(options);
        FlowControl flowControl = flowControl(options, "flowControl", 1000, 64L * 1024 * 1024);
        Optional<Downstream> downstream = options.map("downstream").flatMap(GcpPubSubSinkFactory::downstream);
        if ((options.has("downstream") && downstream.isEmpty()) || connection.isEmpty() || project.isEmpty()) {
            return null; // a problem was recorded: the options are discarded
        }
        return new GcpPubSubOptions(project, connection.get(), batching, flowControl, downstream);
    }

    private static Optional<Connection> connection(ConfigMap options) {
        Optional<String> emulator = options.string("emulatorHost");
        if (emulator.isPresent()) {
            for (String key : new String[] {"endpoint", "credentialsFile", "ca"}) {
                if (options.has(key)) {
                    options.problem(key, "'" + key + "' is not used with 'emulatorHost' (the emulator takes"
                            + " plaintext gRPC without credentials)");
                }
            }
            Optional<String> problem = hostPortProblem(emulator.get());
            problem.ifPresent(p -> options.problem("emulatorHost", p));
            return problem.isPresent() ? Optional.empty() : Optional.of(new Emulator(emulator.get()));
        }
        String endpoint = options.string("endpoint").orElse(DEFAULT_ENDPOINT);
        Optional<String> endpointProblem = hostPortProblem(endpoint);
        endpointProblem.ifPresent(p -> options.problem("endpoint", p));
        Optional<Path> credentials = options.existingFile("credentialsFile");
        credentials.flatMap(GcpPubSubSinkFactory::serviceAccountProblem)
                .ifPresent(p -> options.problem("credentialsFile", p));
        Optional<Path> ca = options.caFile("ca");
        if (endpointProblem.isPresent() || options.has("credentialsFile") && credentials.isEmpty()
                || options.has("ca") && ca.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Cloud(endpoint, credentials, ca));
    }

    /** Why {@code value} is not {@code host:port}. */
    static Optional<String> hostPortProblem(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || value.contains("/") || value.contains(" ")) {
            return Optional.of("expected host:port, like localhost:8085");
        }
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 1 || port > 65_535) {
                return Optional.of("the port must be 1..65535");
            }
        } catch (NumberFormatException e) {
            return Optional.of("expected host:port, like localhost:8085");
        }
        return Optional.empty();
    }

    /**
     * Why {@code file} is not a service-account key. The key file's content is never echoed: the
     * library's messages are replaced by one that names the expected fields.
     */
    static Optional<String> serviceAccountProblem(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            ServiceAccountCredentials.fromStream(in);
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of("'" + file + "' is not a service-account key: expected the JSON key file of a service"
                    + " account (type service_account, with client_email, private_key_id and private_key)");
        }
    }

    private static Batching batching(ConfigMap options) {
        Optional<ConfigMap> map = options.map("batching");
        if (map.isEmpty()) {
            return new Batching(100, 1024 * 1024, Duration.ofMillis(10));
        }
        ConfigMap b = map.get();
        b.checkKeys(BATCHING_KEYS);
        long messages = b.integer("messages", 100, 1, 1000);
        long bytes = b.byteSize("bytes", 1024 * 1024, 1, 9L * 1024 * 1024);
        Duration delay = b.duration("delay", Duration.ofMillis(10), Duration.ofMillis(1), Duration.ofSeconds(10));
        return new Batching(messages, bytes, delay);
    }

    private static FlowControl flowControl(ConfigMap options, String key, int messages, long bytes) {
        Optional<ConfigMap> map = options.map(key);
        if (map.isEmpty()) {
            return new FlowControl(messages, bytes);
        }
        ConfigMap f = map.get();
        f.checkKeys(FLOW_CONTROL_KEYS);
        return new FlowControl(f.integer("messages", messages, 1, 1_000_000),
                f.byteSize("bytes", bytes, 1024, 1024L * 1024 * 1024));
    }

    private static Optional<Downstream> downstream(ConfigMap d) {
        d.checkKeys(DOWNSTREAM_KEYS);
        String subscription = d.requiredString("subscription");
        boolean ok = !subscription.isEmpty();
        if (ok && PubSubNames.resolve("any-project", "subscriptions", subscription) instanceof PubSubNames.Invalid i) {
            d.problem("subscription", i.reason());
            ok = false;
        }
        Template topic = Template.parse(d.string("topic").orElse(DEFAULT_DOWNSTREAM_TOPIC));
        Optional<String> topicProblem = CloudTopic.templateProblem(topic, "commands/<deviceId>");
        topicProblem.ifPresent(p -> d.problem("topic", p));
        FlowControl flowControl = flowControl(d, "flowControl", 1000, 10L * 1024 * 1024);
        Duration timeout = d.duration("timeout", Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofMinutes(10));
        if (!ok || topicProblem.isPresent()) {
            return Optional.empty();
        }
        return Optional.of(new Downstream(subscription, topic, flowControl, timeout));
    }

    @Override
    public Set<String> targetKeys() {
        return Set.of(GcpTargetOptions.ORDERING_KEY);
    }

    @Override
    public Optional<Object> parseTargetOptions(ConfigMap target, TemplateScope scope) {
        Optional<Template> orderingKey = target.template(GcpTargetOptions.ORDERING_KEY, scope);
        return Optional.of(new GcpTargetOptions(orderingKey));
    }

    /** Attributes of a target without {@code properties}: {@code deviceId} (when the route binds it) and {@code sourceTopic}. */
    @Override
    public Map<String, Template> defaultTargetProperties(TemplateScope scope) {
        Map<String, Template> attributes = new LinkedHashMap<>();
        if (scope.bindings().contains("deviceId")) {
            attributes.put("deviceId", Template.parse("<deviceId>"));
        }
        attributes.put("sourceTopic", Template.parse("<topic>"));
        return attributes;
    }

    @Override
    public Optional<String> targetTopicProblem(Template topic) {
        return PubSubNames.templateProblem(topic);
    }

    @Override
    public boolean supportsDownstream() {
        return true;
    }

    @Override
    public Sink create(SinkConfig config, SinkContext context) {
        return new GcpPubSubSink(config.name(), config.options(GcpPubSubOptions.class), context);
    }
}
