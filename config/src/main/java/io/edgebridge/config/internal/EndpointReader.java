package io.edgebridge.config.internal;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.config.Secret;
import io.edgebridge.config.TlsConfig;
import io.edgebridge.config.CertificateFiles;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Reads an MQTT endpoint (broker URI plus {@code ConfigMap.ENDPOINT_KEYS}) from one mapping. */
final class EndpointReader {

    static final Set<String> SCHEMES = Set.of("mqtt", "mqtts");
    static final Set<String> TLS_KEYS = Set.of("ca", "certificate", "privateKey", "privateKeyPassword",
            "verifyHostname");
    static final Set<String> RECONNECT_KEYS = Set.of("min", "max", "jitter");
    static final Duration DEFAULT_SESSION_EXPIRY = Duration.ofDays(1);
    /** MQTT 5 session expiry is a 32-bit count of seconds. */
    static final Duration MAX_SESSION_EXPIRY = Duration.ofSeconds(4_294_967_295L);
    static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(60);
    static final Duration MAX_KEEP_ALIVE = Duration.ofSeconds(65_535);
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final NodeMap map;

    EndpointReader(NodeMap map) {
        this.map = map;
    }

    Optional<MqttEndpointConfig> read(String uriKey, String defaultClientId) {
        Optional<URI> uri = Optional.empty();
        if (map.has(uriKey)) {
            uri = map.uri(uriKey, SCHEMES);
        } else {
            map.problem(uriKey, "'" + uriKey + "' is required: the broker URI, like mqtts://broker.example.com:8883");
        }
        Optional<Boolean> tls = uri.map(u -> u.getScheme().toLowerCase(Locale.ROOT).equals("mqtts"));
        String clientId = map.string("clientId").orElseGet(() -> map.clientIdDefaults().apply(defaultClientId)
                .orElseGet(() -> {
                    map.problem("clientId", ClientIdDefaults.unknownHostProblem(defaultClientId));
                    return defaultClientId;
                }));
        if (clientId.isBlank()) {
            map.problem("clientId", "expected a client identifier, not an empty value");
        }
        Optional<String> username = map.string("username");
        Optional<Secret> password = map.secret("password");
        Optional<TlsConfig> tlsFiles = readTls(tls);
        MqttVersion version = readVersion();
        Duration sessionExpiry = map.duration("sessionExpiry", DEFAULT_SESSION_EXPIRY, Duration.ZERO,
                MAX_SESSION_EXPIRY);
        Duration keepAlive = map.duration("keepAlive", DEFAULT_KEEP_ALIVE, Duration.ZERO, MAX_KEEP_ALIVE);
        Duration connectTimeout = map.duration("connectTimeout", DEFAULT_CONNECT_TIMEOUT, Duration.ofSeconds(1),
                Duration.ofMinutes(5));
        Backoff reconnect = readReconnect(map, "reconnect");
        return uri.map(u -> {
            boolean secure = tls.orElse(false);
            int port = u.getPort() != -1 ? u.getPort() : secure ? 8883 : 1883;
            return new MqttEndpointConfig(host(u), port, secure, clientId, username, password, tlsFiles, version,
                    sessionExpiry, keepAlive, connectTimeout, reconnect);
        });
    }

    /** IPv6 literals without the URI's brackets, as socket APIs want them. */
    private static String host(URI uri) {
        String host = uri.getHost();
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private Optional<TlsConfig> readTls(Optional<Boolean> secure) {
        Optional<NodeMap> tls = map.mapping("tls");
        if (tls.isEmpty()) {
            return Optional.empty();
        }
        NodeMap t = tls.get();
        if (secure.isPresent() && !secure.get()) {
            map.problem("tls", "tls applies only to mqtts:// URIs");
        }
        t.checkKeys(TLS_KEYS);
        Optional<Path> ca = t.caFile("ca");
        Optional<Secret> privateKeyPassword = t.secret("privateKeyPassword");
        Optional<Path> certificate;
        Optional<Path> privateKey;
        if (t.has("certificate") && t.has("privateKey")) {
            Optional<CertificateFiles> pair = t.certificateAndKey("certificate", "privateKey", privateKeyPassword);
            certificate = pair.map(CertificateFiles::certificate);
            privateKey = pair.map(CertificateFiles::privateKey);
        } else {
            certificate = t.existingFile("certificate");
            privateKey = t.existingFile("privateKey");
        }
        boolean verifyHostname = t.bool("verifyHostname", true);
        if (t.has("certificate") != t.has("privateKey")) {
            String present = t.has("certificate") ? "certificate" : "privateKey";
            t.problem(present, "a client certificate needs both 'certificate' and 'privateKey'");
        }
        if (t.has("privateKeyPassword") && !t.has("privateKey")) {
            t.problem("privateKeyPassword", "privateKeyPassword applies only with privateKey");
        }
        return secure.orElse(false) ? Optional.of(new TlsConfig(ca, certificate, privateKey, privateKeyPassword,
                verifyHostname)) : Optional.empty();
    }

    private MqttVersion readVersion() {
        return map.scalar("protocol").map(s -> switch (s.text().trim()) {
            case "5" -> MqttVersion.V5;
            case "3.1.1" -> MqttVersion.V3_1_1;
            default -> {
                map.problemAt(s.location(), "expected 5 or 3.1.1; got " + s.shown());
                yield MqttVersion.V5;
            }
        }).orElse(MqttVersion.V5);
    }

    static Backoff readReconnect(NodeMap map, String key) {
        Backoff d = Backoff.DEFAULT_RECONNECT;
        NodeMap r = map.mappingOrEmpty(key);
        r.checkKeys(RECONNECT_KEYS);
        Duration min = r.duration("min", d.min(), Duration.ofMillis(10), Duration.ofHours(1));
        Duration max = r.duration("max", d.max(), Duration.ofMillis(10), Duration.ofDays(1));
        double jitter = r.decimal("jitter", d.jitter(), 0, 1);
        if (min.compareTo(max) > 0) {
            r.problem(r.has("max") ? "max" : "min", key + ".min (" + ValueSyntax.format(min)
                    + ") must not be longer than " + key + ".max (" + ValueSyntax.format(max) + ")");
        }
        return new Backoff(min, max, jitter);
    }
}
