package io.edgebridge.config;

import io.edgebridge.config.template.Template;
import io.edgebridge.config.tls.TlsFileCheck;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A YAML mapping being read into a config record. Every reader checks the value's type and range;
 * a bad value records a {@link ConfigProblem} at the value's file, line and column and the reader
 * returns the default (or empty), so reading continues and every problem is found in one pass.
 * Messages never echo a value that came from {@code ${...}} substitution or a secret key.
 *
 * <p>Value syntax: durations {@code 500ms, 10s, 5m, 2h, 7d} (or {@code 0}); byte sizes
 * {@code 512, 64KB, 100MB, 2GB} (1024-based; {@code KiB/MiB/GiB} also accepted); enum choices in
 * lower case with '-' ({@code drop-oldest}); relative paths resolve against the working directory.
 */
public interface ConfigMap {

    /** Key path of this mapping, e.g. {@code sinks.cloud}. */
    String keyPath();

    /** Where this mapping starts. */
    Location location();

    /** Where the value of {@code key} is, or this mapping's location if the key is absent. */
    Location locationOf(String key);

    /** The keys present, in document order. */
    Set<String> keys();

    boolean has(String key);

    /** A scalar value as text; a non-scalar records a problem. */
    Optional<String> string(String key);

    /** A scalar that must be present and non-empty; records a problem and returns "" otherwise. */
    String requiredString(String key);

    /** A scalar treated as secret: never echoed in any message. */
    Optional<Secret> secret(String key);

    int integer(String key, int defaultValue, int min, int max);

    long byteSize(String key, long defaultValue, long min, long max);

    Duration duration(String key, Duration defaultValue, Duration min, Duration max);

    double decimal(String key, double defaultValue, double min, double max);

    boolean bool(String key, boolean defaultValue);

    /** One of the enum's constants, written in lower case with '-' for '_'. */
    <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue);

    /** A path to a file that must exist and be readable. */
    Optional<Path> existingFile(String key);

    /**
     * A PEM file of trusted CA certificates: it must exist, parse and hold at least one CA certificate
     * that has not expired ({@link TlsFileCheck#caFile}).
     */
    Optional<Path> caFile(String key);

    /**
     * A certificate chain file under {@code certificateKey} and its private key file under
     * {@code privateKeyKey} (PEM), checked as a pair ({@link TlsFileCheck#certificateAndKey}): both
     * parse, the key belongs to the certificate, and the certificate has not expired (one not valid yet
     * is a warning). Each problem is reported at the key of the file it concerns. Empty when either key
     * is absent (the caller reports what is required) or there is a problem.
     */
    Optional<CertificateFiles> certificateAndKey(String certificateKey, String privateKeyKey,
            Optional<Secret> password);

    /** A path that need not exist yet (output files, data directories). */
    Optional<Path> path(String key);

    /** A URI whose scheme must be one of {@code schemes}; host required. */
    Optional<URI> uri(String key, Set<String> schemes);

    /** A template whose placeholders must all be in {@code scope}. */
    Optional<Template> template(String key, TemplateScope scope);

    /** A mapping of names to templates (e.g. {@code properties}), each checked against {@code scope}. */
    Map<String, Template> templates(String key, TemplateScope scope);

    /** A nested mapping; a non-mapping value records a problem. */
    Optional<ConfigMap> map(String key);

    /**
     * Records a problem for every key not in {@code allowed}, suggesting the closest allowed key
     * ("did you mean ...?").
     */
    void checkKeys(Set<String> allowed);

    /** Records a problem located at {@code key}'s value (or this mapping if absent). */
    void problem(String key, String message);

    /** Records a warning located at {@code key}'s value: the configuration loads, and the warning is shown. */
    void warning(String key, String message);

    /**
     * An endpoint (host, port, TLS, credentials, session, reconnect) from this mapping, with the
     * broker URI under {@code uriKey}. The keys it reads are {@link #ENDPOINT_KEYS} plus
     * {@code uriKey}.
     */
    Optional<MqttEndpointConfig> mqttEndpoint(String uriKey, String defaultClientId);

    /**
     * A reconnect backoff mapping ({@code min}, {@code max}, {@code jitter}) under {@code key}, as
     * {@link #mqttEndpoint} reads {@code reconnect}; {@link Backoff#DEFAULT_RECONNECT} where absent.
     */
    Backoff backoff(String key);

    /** Keys read by {@link #mqttEndpoint} besides the URI key. */
    Set<String> ENDPOINT_KEYS = Set.of("clientId", "username", "password", "tls", "protocol", "sessionExpiry",
            "keepAlive", "connectTimeout", "reconnect");
}
