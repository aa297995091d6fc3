package io.edgebridge.config.internal;

import io.edgebridge.config.BrokerAuth;
import io.edgebridge.config.BrokerListener;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.ListenerTls;
import io.edgebridge.config.Location;
import io.edgebridge.config.PermissionRule;
import io.edgebridge.config.Secret;
import io.edgebridge.config.CertificateFiles;
import io.edgebridge.config.auth.PasswordFile;
import io.edgebridge.config.auth.PermissionFilter;
import io.edgebridge.config.template.TemplateSyntaxException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/** {@code local.embedded}: listeners, storage, intake, authentication and permissions. */
final class EmbeddedReader {

    static final Set<String> KEYS = Set.of("address", "port", "listeners", "dataDir", "persistence",
            "maxQueueSize", "queueStrategy", "intake", "auth", "permissions");
    private static final Set<String> LISTENER_KEYS = Set.of("address", "port", "tls");
    private static final Set<String> TLS_KEYS = Set.of("certificate", "privateKey", "privateKeyPassword", "ca",
            "clientAuth");
    private static final Set<String> AUTH_KEYS = Set.of("passwordFile", "allowAnonymous", "clientIds");
    private static final Set<String> RULE_KEYS = Set.of("clients", "users", "publish", "subscribe");
    private static final String DEFAULT_ADDRESS = "0.0.0.0";
    /** The warning for a permission bound to a client id that any user may claim. */
    private static final String CLIENT_ID_CLAIMED = "%s binds a permission to the client id, which any user can"
            + " claim while local.embedded.auth.clientIds is any: one user could act as another and take over"
            + " its session; use <username> or 'users', or set auth.clientIds: username";

    private EmbeddedReader() {
    }

    static EmbeddedBrokerConfig read(NodeMap e, Path dataDir) {
        e.checkKeys(KEYS);
        List<BrokerListener> listeners = listeners(e);
        Optional<BrokerAuth> auth = e.mapping("auth").flatMap(EmbeddedReader::auth);
        Optional<List<PermissionRule>> permissions = permissions(e, e.has("auth"),
                auth.map(a -> a.clientIds() == BrokerAuth.ClientIds.ANY).orElse(false));
        return new EmbeddedBrokerConfig(
                listeners,
                e.path("dataDir").orElse(dataDir.resolve("broker")),
                e.choice("persistence", EmbeddedBrokerConfig.Persistence.class, EmbeddedBrokerConfig.Persistence.FILE),
                e.integer("maxQueueSize", 10_000, 1, 1_000_000_000),
                e.choice("queueStrategy", EmbeddedBrokerConfig.QueueStrategy.class,
                        EmbeddedBrokerConfig.QueueStrategy.DISCARD),
                e.choice("intake", EmbeddedBrokerConfig.Intake.class, EmbeddedBrokerConfig.Intake.EXTENSION),
                auth,
                permissions);
    }

    private static List<BrokerListener> listeners(NodeMap e) {
        if (!e.has("listeners")) {
            return List.of(BrokerListener.plain(address(e), e.integer("port", 1883, 1, 65_535)));
        }
        for (String shorthand : List.of("address", "port")) {
            if (e.has(shorthand)) {
                e.problemAt(e.keyLocation(shorthand), "'" + shorthand + "' is the shorthand for one plain listener;"
                        + " with 'listeners' write every listener there");
            }
        }
        List<BrokerListener> result = new ArrayList<>();
        List<Node> items = e.sequence("listeners").orElse(null);
        if (items == null) {
            return List.of(BrokerListener.plain(DEFAULT_ADDRESS, 1883)); // not a list: reported
        }
        if (items.isEmpty()) {
            e.problem("listeners", "at least one listener is required, like {address: 127.0.0.1, port: 1883}");
        }
        Map<String, Location> seen = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            String path = NodeMap.itemPath(e.childPath("listeners"), i);
            if (!(items.get(i) instanceof MappingNode mapping)) {
                e.problemAt(e.locate(items.get(i), path), "expected a listener mapping like {address: 0.0.0.0, port: 8883}");
                continue;
            }
            NodeMap l = e.child(mapping, path);
            l.checkKeys(LISTENER_KEYS);
            String address = address(l);
            int port = 0;
            if (l.has("port")) {
                port = l.integer("port", 0, 1, 65_535);
            } else {
                l.problem("port", "'port' is required (1..65535)");
            }
            Optional<ListenerTls> tls = l.mapping("tls").flatMap(EmbeddedReader::tls);
            BrokerListener listener = new BrokerListener(address, port, tls);
            if (port > 0 && !address.isEmpty()) {
                checkDistinct(l, listener, seen);
                result.add(listener);
            }
        }
        return result.isEmpty() ? List.of(BrokerListener.plain(DEFAULT_ADDRESS, 1883)) : result; // empty: reported
    }

    /** No two listeners on one address and port, nor a wildcard and another address on one port. */
    private static void checkDistinct(NodeMap l, BrokerListener listener, Map<String, Location> seen) {
        String key = listener.address() + "|" + listener.port();
        Location here = l.locationOf("port");
        Location first = seen.get(key);
        if (first == null) {
            for (Map.Entry<String, Location> other : seen.entrySet()) {
                String[] parts = other.getKey().split("\\|");
                boolean samePort = parts[1].equals(Integer.toString(listener.port()));
                if (samePort && (listener.wildcard() || BrokerListener.plain(parts[0], 0).wildcard())) {
                    first = other.getValue();
                }
            }
        }
        if (first != null) {
            l.problem("port", "port " + listener.port() + " is already used by the listener at "
                    + Problems.firstAt(first, here) + "; every listener needs its own address and port");
            return;
        }
        seen.put(key, here);
    }

    private static String address(NodeMap m) {
        String address = m.string("address").orElse(DEFAULT_ADDRESS).trim();
        if (address.isEmpty()) {
            m.problem("address", "expected a listen address like 0.0.0.0 or 127.0.0.1, not an empty value");
        }
        return address;
    }

    private static Optional<ListenerTls> tls(NodeMap t) {
        t.checkKeys(TLS_KEYS);
        required(t, "certificate", "the server certificate (PEM)");
        required(t, "privateKey", "the server certificate's private key (PEM)");
        Optional<Secret> privateKeyPassword = t.secret("privateKeyPassword");
        Optional<CertificateFiles> pair = t.certificateAndKey("certificate", "privateKey", privateKeyPassword);
        Optional<Path> ca = t.caFile("ca");
        ListenerTls.ClientAuth clientAuth = t.choice("clientAuth", ListenerTls.ClientAuth.class,
                ListenerTls.ClientAuth.NONE);
        if (clientAuth != ListenerTls.ClientAuth.NONE && !t.has("ca")) {
            t.problem("clientAuth", "clientAuth " + clientAuth.name().toLowerCase(java.util.Locale.ROOT)
                    + " needs 'ca': the CA certificates client certificates must chain to");
        }
        return pair.map(p -> new ListenerTls(p.certificate(), p.privateKey(), privateKeyPassword, ca, clientAuth));
    }

    private static void required(NodeMap m, String key, String what) {
        if (!m.has(key)) {
            m.problem(key, "'" + key + "' is required: " + what);
        }
    }

    private static Optional<Path> requiredFile(NodeMap m, String key, String what) {
        if (!m.has(key)) {
            m.problem(key, "'" + key + "' is required: " + what);
            return Optional.empty();
        }
        return m.existingFile(key);
    }

    private static Optional<BrokerAuth> auth(NodeMap a) {
        a.checkKeys(AUTH_KEYS);
        boolean allowAnonymous = a.bool("allowAnonymous", false);
        BrokerAuth.ClientIds clientIds = a.choice("clientIds", BrokerAuth.ClientIds.class, BrokerAuth.ClientIds.ANY);
        if (allowAnonymous && clientIds == BrokerAuth.ClientIds.USERNAME) {
            a.problem("allowAnonymous", "allowAnonymous: true contradicts clientIds: username (a client without a"
                    + " user name has no client id it may use); leave allowAnonymous out");
        }
        Optional<Path> file = requiredFile(a, "passwordFile",
                "a password file in mosquitto_passwd format (create one with edgebridge passwd)");
        file.ifPresent(f -> checkPasswordFile(a, f));
        return file.map(f -> new BrokerAuth(f, allowAnonymous, clientIds));
    }

    /** Reports each malformed line of the password file at its own line. */
    private static void checkPasswordFile(NodeMap a, Path file) {
        try {
            PasswordFile.Parsed parsed = PasswordFile.read(file);
            String keyPath = a.childPath("passwordFile");
            for (PasswordFile.Problem p : parsed.problems()) {
                a.problemAt(new Location(Optional.of(file), p.line(), 1, keyPath), p.message());
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            a.problem("passwordFile", "cannot read the password file " + file + ": " + e.getMessage());
        }
    }

    /**
     * @param anyClientId users may pick any client id: a permission bound to the client id is then
     *                    one any user can claim, which is warned about
     */
    private static Optional<List<PermissionRule>> permissions(NodeMap e, boolean authenticated,
            boolean anyClientId) {
        Optional<List<Node>> items = e.sequence("permissions");
        if (items.isEmpty()) {
            return Optional.empty();
        }
        List<PermissionRule> rules = new ArrayList<>();
        for (int i = 0; i < items.get().size(); i++) {
            String path = NodeMap.itemPath(e.childPath("permissions"), i);
            Node item = items.get().get(i);
            if (!(item instanceof MappingNode mapping)) {
                e.problemAt(e.locate(item, path), "expected a rule mapping like {publish: [sensors/<clientId>/#]}");
                continue;
            }
            rule(e.child(mapping, path), authenticated, anyClientId).ifPresent(rules::add);
        }
        return Optional.of(rules);
    }

    private static Optional<PermissionRule> rule(NodeMap r, boolean authenticated, boolean anyClientId) {
        r.checkKeys(RULE_KEYS);
        List<String> clients = names(r, "clients");
        List<String> users = names(r, "users");
        if (anyClientId && !clients.isEmpty() && users.isEmpty()) {
            r.warningAt(r.locationOf("clients"), CLIENT_ID_CLAIMED.formatted("'clients'"));
        }
        if (!r.has("publish") && !r.has("subscribe")) {
            r.problemAt(r.location(), "a rule needs 'publish' or 'subscribe' (or both): the topic filters it allows");
        }
        if (r.has("users") && !authenticated) {
            r.problem("users", "'users' needs local.embedded.auth: without it a user name is whatever the client claims");
        }
        List<PermissionFilter> publish = filters(r, "publish", authenticated, anyClientId);
        List<PermissionFilter> subscribe = filters(r, "subscribe", authenticated, anyClientId);
        return Optional.of(new PermissionRule(clients, users, publish, subscribe));
    }

    private static List<String> names(NodeMap r, String key) {
        List<String> names = new ArrayList<>();
        for (Scalar s : r.scalars(key).orElse(List.of())) {
            if (s.text().isEmpty()) {
                r.problemAt(s.location(), "must not be empty");
            } else {
                names.add(s.text());
            }
        }
        return names;
    }

    private static List<PermissionFilter> filters(NodeMap r, String key, boolean authenticated, boolean anyClientId) {
        List<PermissionFilter> filters = new ArrayList<>();
        for (Scalar s : r.scalars(key).orElse(List.of())) {
            try {
                PermissionFilter filter = PermissionFilter.parse(s.text());
                if (filter.usesUsername() && !authenticated) {
                    r.problemAt(s.location(), "<username> needs local.embedded.auth: without it a user name is"
                            + " whatever the client claims");
                }
                if (filter.usesClientId() && anyClientId) {
                    r.warningAt(s.location(), CLIENT_ID_CLAIMED.formatted("<clientId>"));
                }
                filters.add(filter);
            } catch (TemplateSyntaxException ex) {
                r.problemAt(s.location(), (s.sensitive() ? s.shown() + " is not a valid permission filter: "
                        : "invalid permission filter '" + s.text() + "': ") + ex.getMessage());
            }
        }
        return filters;
    }
}
