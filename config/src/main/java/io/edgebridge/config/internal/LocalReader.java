package io.edgebridge.config.internal;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.BrokerListener;
import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.ExternalBrokerConfig;
import io.edgebridge.config.LocalConfig;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code local}: the embedded broker (default) or an external one, and the bridge's session on it. */
final class LocalReader {

    static final String EMBEDDED = "embedded";
    static final String SHARED_GROUP = "sharedGroup";
    static final String DEFAULT_CLIENT_ID = "edgebridge";
    /** Share names are one topic level; brokers cap them differently, so keep them short. */
    static final int MAX_SHARE_NAME_LENGTH = 64;
    /** Reconnects to a broker in the same process should be quick. */
    static final Backoff EMBEDDED_RECONNECT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.5);
    /** Endpoint keys that make sense for an embedded broker's loopback session. */
    private static final Set<String> EMBEDDED_SESSION_KEYS = Set.of("clientId", "keepAlive");

    private LocalReader() {
    }

    /**
     * @param replicaDefaults default client ids to use when {@code sharedGroup} is set (with the host
     *                        name, so replicas differ)
     */
    static Optional<LocalConfig> read(NodeMap m, Path dataDir, ClientIdDefaults replicaDefaults) {
        Set<String> allowed = new HashSet<>(ConfigMap.ENDPOINT_KEYS);
        allowed.addAll(List.of("broker", EMBEDDED, SHARED_GROUP));
        m.checkKeys(allowed);
        Optional<Scalar> broker = m.scalar("broker");
        String written = broker.map(Scalar::text).orElse(EMBEDDED).trim();
        if (written.equals(EMBEDDED)) {
            return Optional.of(embedded(m, dataDir));
        }
        if (!written.contains("://")) {
            String suggestion = broker.get().sensitive() ? "" : Suggestions.didYouMean(written, List.of(EMBEDDED));
            m.problemAt(broker.get().location(), "expected 'embedded' or a broker URI like mqtt://127.0.0.1:1883"
                    + suggestion + "; got " + broker.get().shown());
            return Optional.empty();
        }
        if (m.has(EMBEDDED)) {
            m.problem(EMBEDDED, "local.embedded only applies when local.broker is embedded");
        }
        Optional<String> sharedGroup = sharedGroup(m);
        NodeMap session = sharedGroup.isPresent() ? m.withClientIdDefaults(replicaDefaults) : m;
        return session.mqttEndpoint("broker", DEFAULT_CLIENT_ID)
                .map(endpoint -> new LocalConfig(new ExternalBrokerConfig(endpoint, sharedGroup), endpoint));
    }

    /** {@code sharedGroup}: the share name of {@code $share/<name>/<filter>}, one valid topic level. */
    private static Optional<String> sharedGroup(NodeMap m) {
        Optional<Scalar> group = m.scalar(SHARED_GROUP);
        if (group.isEmpty()) {
            return Optional.empty();
        }
        String name = group.get().text();
        String problem = null;
        if (name.isBlank()) {
            problem = "expected a share name like edgebridge, not an empty value";
        } else if (name.length() > MAX_SHARE_NAME_LENGTH) {
            problem = "a share name is at most " + MAX_SHARE_NAME_LENGTH + " characters; got " + name.length();
        } else if (name.chars().anyMatch(c -> c == '/' || c == '+' || c == '#' || Character.isISOControl(c))) {
            problem = "a share name is one topic level: no '/', '+', '#' or control characters; got "
                    + group.get().shown();
        }
        if (problem != null) {
            m.problemAt(group.get().location(), problem);
            return Optional.empty();
        }
        return Optional.of(name);
    }

    private static LocalConfig embedded(NodeMap m, Path dataDir) {
        for (String key : m.keys()) {
            if (ConfigMap.ENDPOINT_KEYS.contains(key) && !EMBEDDED_SESSION_KEYS.contains(key)) {
                m.problemAt(m.keyLocation(key), "'" + key
                        + "' only applies to an external broker (local.broker: mqtt://...)");
            }
        }
        if (m.has(SHARED_GROUP)) {
            // Also with intake: mqtt: each replica would subscribe to its own broker, sharing with nobody.
            m.problemAt(m.keyLocation(SHARED_GROUP), "sharedGroup applies to an external broker (local.broker:"
                    + " mqtt://...): replicas each running an embedded broker share nothing");
        }
        EmbeddedBrokerConfig broker = EmbeddedReader.read(m.mappingOrEmpty(EMBEDDED), dataDir);
        String clientId = m.string("clientId").orElse(DEFAULT_CLIENT_ID);
        if (clientId.isBlank()) {
            m.problem("clientId", "expected a client identifier, not an empty value");
        }
        Duration keepAlive = m.duration("keepAlive", EndpointReader.DEFAULT_KEEP_ALIVE, Duration.ZERO,
                EndpointReader.MAX_KEEP_ALIVE);
        // The session's address and credentials are settled at start (EmbeddedLocalBroker): the first plain
        // listener, or an internal loopback one when every listener uses TLS.
        BrokerListener plain = broker.listeners().stream().filter(l -> l.tls().isEmpty()).findFirst()
                .orElse(BrokerListener.plain("127.0.0.1", 0));
        String host = plain.wildcard() ? "127.0.0.1" : plain.address();
        MqttEndpointConfig endpoint = new MqttEndpointConfig(host, plain.port(), false, clientId, Optional.empty(),
                Optional.empty(), Optional.empty(), MqttVersion.V5, EndpointReader.DEFAULT_SESSION_EXPIRY, keepAlive,
                EndpointReader.DEFAULT_CONNECT_TIMEOUT, EMBEDDED_RECONNECT);
        return new LocalConfig(broker, endpoint);
    }
}
