package io.edgebridge.azure;

import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.azure.AzureIotHubOptions.Mode;
import io.edgebridge.azure.AzureIotHubOptions.X509Identity;
import io.edgebridge.config.Backoff;
import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.Secret;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.CertificateFiles;
import io.edgebridge.config.template.TemplateSyntaxException;
import io.edgebridge.config.template.Topics;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.api.SinkFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code type: azure-iot-hub}: Azure IoT Hub over MQTT 3.1.1 with the Azure device SDK
 * (iot-device-client), as a device (connection string with a SAS key, or X.509 certificate) or as
 * an IoT Edge module (identity from the IoT Edge environment). Upstream: device-to-cloud messages;
 * downstream: cloud-to-device messages (module inputs in edge-module mode).
 */
public final class AzureIotHubSinkFactory implements SinkFactory {

    public static final String TYPE = "azure-iot-hub";
    /** IoT Hub refuses device-to-cloud messages larger than 256 KB (body and properties). */
    public static final int MAX_MESSAGE_BYTES = 256 * 1024;
    static final String DEFAULT_C2D_TOPIC = "c2d/<deviceId>";
    static final String DEFAULT_METHOD_TOPIC = "methods/<method>";

    static final Set<String> KEYS = Set.of("mode", "connectionString", "x509", "gatewayHostName", "ca", "output",
            "maxMessageSize", "c2dTopic", "c2dTimeout", "methodTopic", "methodTimeout", "twin", "keepAlive", "sasTokenExpiry",
            "sendTimeout", "reconnect");
    static final Set<String> TWIN_KEYS = Set.of("routes", "reportInterval");
    static final Set<String> X509_KEYS = Set.of("hostName", "deviceId", "certificate", "privateKey");
    static final String CONTENT_ENCODING = "contentEncoding";
    static final String MESSAGE_ID = "messageId";

    /** How a sink's identity is configured: {@code mode: device} (default) or {@code edge-module}. */
    enum ConfiguredMode {
        DEVICE,
        EDGE_MODULE
    }

    /** How the message id of a device-to-cloud message is set. */
    enum MessageIdMode {
        /** {@code <sink>-<spool sequence>}: the same on every retry, so IoT Hub consumers can drop duplicates. */
        SEQUENCE,
        /** A random UUID per send, the SDK's default (unless a {@code $.mid} property sets one). */
        RANDOM
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Object parseOptions(String sinkName, ConfigMap options) {
        options.checkKeys(KEYS);
        ConfiguredMode configured = options.choice("mode", ConfiguredMode.class, ConfiguredMode.DEVICE);
        Optional<Secret> connectionString = options.secret("connectionString");
        Optional<ConfigMap> x509Map = options.map("x509");
        Optional<X509Identity> x509 = x509Map.flatMap(AzureIotHubSinkFactory::x509);
        Mode mode = Mode.CONNECTION_STRING;
        boolean ok = true;
        if (configured == ConfiguredMode.EDGE_MODULE) {
            mode = Mode.EDGE_MODULE;
            for (String key : new String[] {"connectionString", "x509", "gatewayHostName"}) {
                if (options.has(key)) {
                    options.problem(key, "'" + key + "' is not used with mode: edge-module (the IoT Edge runtime"
                            + " provides the module's identity and its edgeHub gateway)");
                }
            }
        } else if (connectionString.isPresent() == options.has("x509")) {
            options.problem(connectionString.isPresent() ? "x509" : "connectionString",
                    "an azure-iot-hub sink needs exactly one identity: 'connectionString' (a device connection string"
                            + " with SharedAccessKey) or 'x509' {hostName, deviceId, certificate, privateKey};"
                            + " or mode: edge-module");
            ok = false;
        } else if (connectionString.isPresent()) {
            try {
                ConnectionStrings.parse(connectionString.get().reveal());
            } catch (IllegalArgumentException e) {
                options.problem("connectionString", e.getMessage());
                ok = false;
            }
            if (options.has("gatewayHostName")) {
                options.problem("gatewayHostName", "with a connection string, write GatewayHostName=<host> into it");
            }
        } else {
            mode = Mode.X509;
            ok = x509.isPresent();
        }
        Optional<String> gateway = options.string("gatewayHostName").filter(s -> !s.isBlank());
        Optional<Path> ca = options.caFile("ca");
        String output = options.string("output").orElse("output1");
        if (options.has("output") && mode != Mode.EDGE_MODULE) {
            options.problem("output", "'output' (a module output name) is only used with mode: edge-module");
        } else if (output.isBlank() || output.contains("/") || output.contains("#") || output.contains("+")) {
            options.problem("output", "expected a module output name, like output1");
        }
        int maxMessageSize = (int) options.byteSize("maxMessageSize", MAX_MESSAGE_BYTES, 1, MAX_MESSAGE_BYTES);
        Template c2dTopic = cloudTopic(options, "c2dTopic", DEFAULT_C2D_TOPIC);
        Duration c2dTimeout = options.duration("c2dTimeout", Duration.ofSeconds(60), Duration.ofSeconds(1),
                Duration.ofMinutes(30));
        Template methodTopic = cloudTopic(options, "methodTopic", DEFAULT_METHOD_TOPIC);
        Duration methodTimeout = options.duration("methodTimeout", Duration.ofSeconds(20), Duration.ofSeconds(1),
                Duration.ofSeconds(300));
        AzureIotHubOptions.Twin twin = options.map("twin").map(t -> {
            t.checkKeys(TWIN_KEYS);
            return new AzureIotHubOptions.Twin(t.bool("routes", false), t.duration("reportInterval",
                    AzureIotHubOptions.Twin.DEFAULT.reportInterval(), Duration.ZERO, Duration.ofDays(1)));
        }).orElse(AzureIotHubOptions.Twin.DEFAULT);
        if (twin.reportInterval().compareTo(Duration.ZERO) > 0 && twin.reportInterval().compareTo(Duration.ofSeconds(5)) < 0) {
            options.problem("twin", "twin.reportInterval: expected 0 (no reports) or at least 5s");
        }
        Duration keepAlive = options.duration("keepAlive", Duration.ofSeconds(230), Duration.ofSeconds(10),
                Duration.ofSeconds(1740));
        Duration sasTokenExpiry = options.duration("sasTokenExpiry", Duration.ofHours(1), Duration.ofMinutes(5),
                Duration.ofDays(1));
        Duration sendTimeout = options.duration("sendTimeout", Duration.ofSeconds(60), Duration.ofSeconds(1),
                Duration.ofMinutes(10));
        Backoff reconnect = options.backoff("reconnect");
        if (!ok) {
            return null;
        }
        return new AzureIotHubOptions(mode, mode == Mode.CONNECTION_STRING ? connectionString : Optional.empty(),
                mode == Mode.X509 ? x509 : Optional.empty(), mode == Mode.X509 ? gateway : Optional.empty(), ca,
                output, maxMessageSize, c2dTopic, c2dTimeout, methodTopic, methodTimeout, twin, keepAlive, sasTokenExpiry,
                sendTimeout, reconnect);
    }

    private static Optional<X509Identity> x509(ConfigMap x) {
        x.checkKeys(X509_KEYS);
        String host = x.requiredString("hostName");
        if (!host.isEmpty() && (!host.contains(".") || host.contains("/") || host.contains(":"))) {
            x.problem("hostName", "expected the hub's host name only, like myhub.azure-devices.net");
        }
        String device = x.requiredString("deviceId");
        required(x, "certificate", "the device certificate (PEM)");
        required(x, "privateKey", "the certificate's private key (PEM)");
        Optional<CertificateFiles> files = x.certificateAndKey("certificate", "privateKey", Optional.empty());
        if (host.isEmpty() || device.isEmpty() || files.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new X509Identity(host, device, files.get().certificate(), files.get().privateKey()));
    }

    private static void required(ConfigMap options, String key, String what) {
        if (!options.has(key)) {
            options.problem(key, "'" + key + "' is required: " + what);
        }
    }

    /** The template under {@code key}; problems are recorded (and the default returned). */
    private static Template cloudTopic(ConfigMap options, String key, String defaultText) {
        try {
            Template topic = Template.parse(options.string(key).orElse(defaultText));
            Optional<String> problem = c2dTopicProblem(topic);
            if (problem.isEmpty()) {
                return topic;
            }
            options.problem(key, problem.get());
        } catch (TemplateSyntaxException e) {
            options.problem(key, e.getMessage());
        }
        return Template.parse(defaultText);
    }

    /** Why {@code topic} cannot be a {@code c2dTopic} or {@code methodTopic}: placeholders must fill whole levels. */
    static Optional<String> c2dTopicProblem(Template topic) {
        return CloudTopic.templateProblem(topic, "c2d/<deviceId>");
    }

    @Override
    public Set<String> targetKeys() {
        return Set.of(CONTENT_ENCODING, MESSAGE_ID);
    }

    @Override
    public Optional<Object> parseTargetOptions(ConfigMap target, TemplateScope scope) {
        Optional<String> encoding = target.string(CONTENT_ENCODING).filter(s -> !s.isBlank());
        MessageIdMode messageId = target.choice(MESSAGE_ID, MessageIdMode.class, MessageIdMode.SEQUENCE);
        return Optional.of(new AzureTargetOptions(encoding, messageId));
    }

    /** {@code deviceId} (when the route binds it), {@code sourceTopic} and {@code timestamp}. */
    @Override
    public Map<String, Template> defaultTargetProperties(TemplateScope scope) {
        Map<String, Template> properties = new LinkedHashMap<>();
        if (scope.bindings().contains("deviceId")) {
            properties.put("deviceId", Template.parse("<deviceId>"));
        }
        properties.put("sourceTopic", Template.parse("<topic>"));
        properties.put("timestamp", Template.parse("<timestamp>"));
        return properties;
    }

    @Override
    public boolean supportsDownstream() {
        return true;
    }

    @Override
    public Sink create(SinkConfig config, SinkContext context) {
        return new AzureIotHubSink(config.name(), config.options(AzureIotHubOptions.class), context);
    }
}
