package io.edgebridge.aws;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.RateLimit;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.CertificateFiles;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.api.SinkFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * {@code type: aws-iot-core}: AWS IoT Core over MQTT 5 (aws-crt) with an X.509 device certificate,
 * upstream (telemetry, shadow updates, job execution updates) and downstream (commands, shadow
 * deltas and responses, job notifications).
 */
public final class AwsIotCoreSinkFactory implements SinkFactory {

    public static final String TYPE = "aws-iot-core";
    /** IoT Core's default per-connection publish quota. */
    public static final int DEFAULT_PUBLISHES_PER_SECOND = 100;

    static final Set<String> KEYS = Set.of("endpoint", "port", "clientId", "certificate", "privateKey", "ca",
            "keepAlive", "sessionExpiry", "reconnect", "connectTimeout", "operationTimeout", "forwardRetain",
            "rotationCheck");
    static final String MESSAGE_EXPIRY = "messageExpiry";
    /** IoT Core keeps a message at most 7 days, and a persistent session at most 7 days. */
    static final Duration MAX_EXPIRY = Duration.ofDays(7);
    static final int MAX_CLIENT_ID_BYTES = 128;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Object parseOptions(String sinkName, ConfigMap options) {
        options.checkKeys(KEYS);
        String endpoint = options.requiredString("endpoint");
        if (!endpoint.isEmpty() && (endpoint.contains("://") || endpoint.contains("/") || endpoint.contains(":"))) {
            options.problem("endpoint", "expected the IoT data endpoint host name only, like"
                    + " abc123-ats.iot.eu-west-1.amazonaws.com (no scheme, port or path; the port is 'port')");
        }
        int port = options.integer("port", 8883, 1, 65_535);
        String clientId = options.string("clientId").orElse("edgebridge-" + sinkName);
        if (clientId.isBlank()) {
            options.problem("clientId", "expected a client identifier (usually the thing name), not an empty value");
        } else if (clientId.getBytes(StandardCharsets.UTF_8).length > MAX_CLIENT_ID_BYTES) {
            options.problem("clientId", "AWS IoT Core allows client ids of at most " + MAX_CLIENT_ID_BYTES + " bytes");
        }
        required(options, "certificate", "the device certificate (PEM)");
        required(options, "privateKey", "the certificate's private key (PEM)");
        Optional<CertificateFiles> identity = options.certificateAndKey("certificate", "privateKey", Optional.empty());
        Optional<Path> ca = options.caFile("ca");
        Duration keepAlive = options.duration("keepAlive", Duration.ofSeconds(60), Duration.ofSeconds(1),
                Duration.ofSeconds(1200));
        Duration sessionExpiry = options.duration("sessionExpiry", Duration.ofDays(1), Duration.ZERO, MAX_EXPIRY);
        Backoff reconnect = options.backoff("reconnect");
        Duration connectTimeout = options.duration("connectTimeout", Duration.ofSeconds(10), Duration.ofSeconds(1),
                Duration.ofMinutes(5));
        Duration operationTimeout = options.duration("operationTimeout", Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofMinutes(10));
        boolean forwardRetain = options.bool("forwardRetain", false);
        Duration rotationCheck = options.duration("rotationCheck", Duration.ofSeconds(5), Duration.ofMillis(100),
                Duration.ofHours(1));
        if (identity.isEmpty()) {
            return null; // a problem was recorded: the options are discarded
        }
        return new AwsIotCoreOptions(endpoint, port, clientId, identity.get().certificate(),
                identity.get().privateKey(), ca, keepAlive, sessionExpiry, reconnect, connectTimeout, operationTimeout,
                forwardRetain, rotationCheck);
    }

    private static void required(ConfigMap options, String key, String what) {
        if (!options.has(key)) {
            options.problem(key, "'" + key + "' is required: " + what);
        }
    }

    @Override
    public Set<String> targetKeys() {
        return Set.of(MESSAGE_EXPIRY);
    }

    @Override
    public Optional<Object> parseTargetOptions(ConfigMap target, TemplateScope scope) {
        Optional<Duration> expiry = target.has(MESSAGE_EXPIRY)
                ? Optional.of(target.duration(MESSAGE_EXPIRY, Duration.ZERO, Duration.ofSeconds(1), MAX_EXPIRY))
                : Optional.empty();
        return Optional.of(new AwsTargetOptions(expiry));
    }

    @Override
    public Optional<String> targetTopicProblem(Template topic) {
        return AwsTopics.templateProblem(topic);
    }

    @Override
    public Optional<RateLimit> defaultRateLimit() {
        return Optional.of(RateLimit.messages(DEFAULT_PUBLISHES_PER_SECOND));
    }

    @Override
    public boolean allowsDollarTopics() {
        return true;
    }

    @Override
    public boolean supportsDownstream() {
        return true;
    }

    @Override
    public Sink create(SinkConfig config, SinkContext context) {
        return new AwsIotCoreSink(config.name(), config.options(AwsIotCoreOptions.class), context);
    }
}
