package io.edgebridge.config.internal;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.Location;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.Secret;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.CertificateFiles;
import io.edgebridge.config.tls.TlsFileCheck;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.DumperOptions.FlowStyle;
import org.yaml.snakeyaml.nodes.CollectionNode;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/** {@link ConfigMap} over a SnakeYAML mapping node; every problem goes to the load's {@link Problems}. */
public final class NodeMap implements ConfigMap {

    private final ReadContext context;
    private final Source source;
    private final Location location;
    private final Map<String, NodeTuple> entries;
    private final Set<String> alsoAllowed;
    private final boolean bindingsKnown;
    private final ClientIdDefaults clientIdDefaults;
    private final ValueReader values;

    private NodeMap(ReadContext context, Source source, Location location, Map<String, NodeTuple> entries,
            Set<String> alsoAllowed, boolean bindingsKnown, ClientIdDefaults clientIdDefaults) {
        this.context = context;
        this.source = source;
        this.location = location;
        this.entries = entries;
        this.alsoAllowed = alsoAllowed;
        this.bindingsKnown = bindingsKnown;
        this.clientIdDefaults = clientIdDefaults;
        this.values = new ValueReader(context.problems());
    }

    /** A view of {@code node}; its location is the mapping's start. */
    public static NodeMap of(ReadContext context, Source source, MappingNode node, String keyPath) {
        Map<String, NodeTuple> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : node.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode key) {
                entries.putIfAbsent(key.getValue(), tuple); // duplicates were reported by ScalarValues
            }
        }
        return new NodeMap(context, source, source.at(node.getStartMark(), keyPath),
                Collections.unmodifiableMap(entries), Set.of(), true, ClientIdDefaults.PLAIN);
    }

    /** A mapping with no keys (an absent section), so every reader returns its default. */
    public static NodeMap empty(ReadContext context, Source source, Location location) {
        return new NodeMap(context, source, location, Map.of(), Set.of(), true, ClientIdDefaults.PLAIN);
    }

    /** The same mapping, whose {@link #checkKeys} also allows {@code keys}. */
    public NodeMap alsoAllowing(Set<String> keys) {
        return new NodeMap(context, source, location, entries, Set.copyOf(keys), bindingsKnown, clientIdDefaults);
    }

    /** The same mapping, whose {@link #mqttEndpoint} makes default client ids with {@code defaults}. */
    NodeMap withClientIdDefaults(ClientIdDefaults defaults) {
        return new NodeMap(context, source, location, entries, alsoAllowed, bindingsKnown, defaults);
    }

    ClientIdDefaults clientIdDefaults() {
        return clientIdDefaults;
    }

    /**
     * The same mapping, not checking template placeholders: used when the route's source filter is
     * invalid, so its bindings are unknown and every check would be a false alarm.
     */
    public NodeMap withBindingsUnknown() {
        return new NodeMap(context, source, location, entries, alsoAllowed, false, clientIdDefaults);
    }

    public static String childPath(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    public static String itemPath(String parent, int index) {
        return parent + "[" + index + "]";
    }

    /** Whether template placeholders are checked (false when the route's filter is invalid). */
    public boolean bindingsKnown() {
        return bindingsKnown;
    }

    public Source source() {
        return source;
    }

    public String childPath(String key) {
        return childPath(keyPath(), key);
    }

    /** The value node of {@code key}; a key written with no value counts as absent. */
    public Optional<Node> node(String key) {
        NodeTuple tuple = entries.get(key);
        if (tuple == null || YamlDocument.isNull(tuple.getValueNode())) {
            return Optional.empty();
        }
        return Optional.of(tuple.getValueNode());
    }

    /** A view of a mapping node found under this one (a list item, a value of either kind). */
    public NodeMap child(MappingNode node, String childKeyPath) {
        return of(context, source, node, childKeyPath).withBindingsUnknownIf(!bindingsKnown);
    }

    private NodeMap withBindingsUnknownIf(boolean unknown) {
        return unknown ? withBindingsUnknown() : this;
    }

    public Location locate(Node node, String nodeKeyPath) {
        return source.at(node.getStartMark(), nodeKeyPath);
    }

    /** Where the key itself is written (for unknown and duplicate keys). */
    public Location keyLocation(String key) {
        NodeTuple tuple = entries.get(key);
        return tuple == null ? location.withKeyPath(childPath(key)) : locate(tuple.getKeyNode(), childPath(key));
    }

    public void problemAt(Location where, String message) {
        context.problems().error(where, message);
    }

    /** A warning: the configuration loads, and {@code validate} and the start log say what is risky. */
    public void warningAt(Location where, String message) {
        context.problems().warning(where, message);
    }

    /** The value of {@code key} if it is a scalar whose substitution succeeded. */
    public Optional<Scalar> scalar(String key) {
        Optional<Node> node = node(key);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        if (!(node.get() instanceof ScalarNode scalar)) {
            problem(key, "expected a single value (scalar), not a " + kind(node.get()));
            return Optional.empty();
        }
        Substitution.Result value = context.values().value(scalar);
        if (value.failed()) {
            return Optional.empty(); // already reported
        }
        return Optional.of(new Scalar(value.value(), locationOf(key), value.references(), Scalar.isSecretKey(key)));
    }

    /** The items of a list; a non-list records a problem. */
    public Optional<List<Node>> sequence(String key) {
        Optional<Node> node = node(key);
        if (node.isPresent() && !(node.get() instanceof SequenceNode)) {
            problem(key, "expected a list, not a " + kind(node.get()));
            return Optional.empty();
        }
        return node.map(n -> ((SequenceNode) n).getValue());
    }

    /**
     * The items of a list of single values, each with its own location; an item that is not a
     * scalar, or whose substitution failed, is reported and left out.
     */
    public List<Scalar> scalarItems(String key) {
        List<Scalar> items = new java.util.ArrayList<>();
        List<Node> nodes = sequence(key).orElse(List.of());
        for (int i = 0; i < nodes.size(); i++) {
            Location at = locate(nodes.get(i), itemPath(childPath(key), i));
            if (!(nodes.get(i) instanceof ScalarNode scalar)) {
                problemAt(at, "expected a single value (scalar), not a " + kind(nodes.get(i)));
                continue;
            }
            Substitution.Result value = context.values().value(scalar);
            if (!value.failed()) {
                items.add(new Scalar(value.value(), at, value.references(), Scalar.isSecretKey(key)));
            }
        }
        return items;
    }

    /** The items of a list of single values (a single value counts as a list of one). */
    public Optional<List<Scalar>> scalars(String key) {
        Optional<Node> node = node(key);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        List<Node> items = node.get() instanceof SequenceNode seq ? seq.getValue() : List.of(node.get());
        List<Scalar> result = new java.util.ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            String path = node.get() instanceof SequenceNode ? itemPath(childPath(key), i) : childPath(key);
            if (!(items.get(i) instanceof ScalarNode scalar) || YamlDocument.isNull(items.get(i))) {
                problemAt(locate(items.get(i), path), "expected a single value, not a "
                        + (YamlDocument.isNull(items.get(i)) ? "missing one" : kind(items.get(i))));
                ok = false;
                continue;
            }
            Substitution.Result value = context.values().value(scalar);
            if (value.failed()) {
                ok = false;
                continue;
            }
            result.add(new Scalar(value.value(), locate(scalar, path), value.references(), Scalar.isSecretKey(key)));
        }
        return ok ? Optional.of(result) : Optional.empty();
    }

    static String kind(Node node) {
        if (node instanceof MappingNode) {
            return "mapping";
        }
        return node instanceof SequenceNode ? "list" : "single value";
    }

    @Override
    public String keyPath() {
        return location.keyPath();
    }

    @Override
    public Location location() {
        return location;
    }

    /**
     * {@inheritDoc} A block mapping or list starts on the line after its key, at its first entry;
     * a problem about the whole of it is shown at the key, and so is one about a missing value.
     */
    @Override
    public Location locationOf(String key) {
        NodeTuple tuple = entries.get(key);
        if (tuple == null) {
            return location.withKeyPath(childPath(key));
        }
        Node value = tuple.getValueNode();
        boolean block = value instanceof CollectionNode<?> collection && collection.getFlowStyle() == FlowStyle.BLOCK;
        return locate(block || YamlDocument.isNull(value) ? tuple.getKeyNode() : value, childPath(key));
    }

    @Override
    public Set<String> keys() {
        return entries.keySet();
    }

    /** Whether {@code key} is present with a value; a key written with no value counts as absent. */
    @Override
    public boolean has(String key) {
        return node(key).isPresent();
    }

    @Override
    public Optional<String> string(String key) {
        return scalar(key).map(Scalar::text);
    }

    @Override
    public String requiredString(String key) {
        if (!has(key)) {
            problem(key, "'" + key + "' is required");
            return "";
        }
        Optional<Scalar> value = scalar(key);
        if (value.isPresent() && value.get().text().isBlank()) {
            problem(key, "must not be empty"
                    + (value.get().references().isEmpty() ? ""
                            : " (the value from " + String.join(" and ", value.get().references()) + " is empty)"));
            return "";
        }
        return value.map(Scalar::text).orElse("");
    }

    @Override
    public Optional<Secret> secret(String key) {
        return scalar(key).map(s -> new Secret(s.text()));
    }

    @Override
    public int integer(String key, int defaultValue, int min, int max) {
        return scalar(key).flatMap(s -> values.integer(s, min, max)).orElse(defaultValue);
    }

    @Override
    public long byteSize(String key, long defaultValue, long min, long max) {
        return scalar(key).flatMap(s -> values.byteSize(s, min, max)).orElse(defaultValue);
    }

    @Override
    public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
        return scalar(key).flatMap(s -> values.duration(s, min, max)).orElse(defaultValue);
    }

    @Override
    public double decimal(String key, double defaultValue, double min, double max) {
        return scalar(key).flatMap(s -> values.decimal(s, min, max)).orElse(defaultValue);
    }

    @Override
    public boolean bool(String key, boolean defaultValue) {
        return scalar(key).flatMap(values::bool).orElse(defaultValue);
    }

    @Override
    public <E extends Enum<E>> E choice(String key, Class<E> type, E defaultValue) {
        return scalar(key).flatMap(s -> values.choice(s, type)).orElse(defaultValue);
    }

    @Override
    public Optional<Path> existingFile(String key) {
        return scalar(key).flatMap(values::existingFile);
    }

    @Override
    public Optional<Path> caFile(String key) {
        Optional<Scalar> value = scalar(key);
        Optional<Path> file = value.flatMap(values::existingFile);
        if (file.isEmpty()) {
            return file;
        }
        boolean ok = report(Map.of(TlsFileCheck.Setting.CA, key),
                TlsFileCheck.caFile(file.get(), fileLabel(value.get(), file.get()), Instant.now()));
        return ok ? file : Optional.empty();
    }

    @Override
    public Optional<CertificateFiles> certificateAndKey(String certificateKey, String privateKeyKey,
            Optional<Secret> password) {
        Optional<Scalar> certificateValue = scalar(certificateKey);
        Optional<Scalar> keyValue = scalar(privateKeyKey);
        Optional<Path> certificate = certificateValue.flatMap(values::existingFile);
        Optional<Path> key = keyValue.flatMap(values::existingFile);
        if (certificate.isEmpty() || key.isEmpty()) {
            return Optional.empty();
        }
        boolean ok = report(Map.of(TlsFileCheck.Setting.CERTIFICATE, certificateKey, TlsFileCheck.Setting.PRIVATE_KEY,
                privateKeyKey), TlsFileCheck.certificateAndKey(certificate.get(),
                        fileLabel(certificateValue.get(), certificate.get()), key.get(),
                        fileLabel(keyValue.get(), key.get()), password, Instant.now()));
        return ok ? Optional.of(new CertificateFiles(certificate.get(), key.get())) : Optional.empty();
    }

    /** As {@link TlsFileCheck#label}, unless the path came from a substitution, which messages do not echo. */
    private static String fileLabel(Scalar value, Path file) {
        return value.sensitive() ? "the file named by " + value.shown() : TlsFileCheck.label(file);
    }

    /** Records each finding at the key of its setting; whether there was no error. */
    private boolean report(Map<TlsFileCheck.Setting, String> keys, List<TlsFileCheck.Finding> findings) {
        boolean ok = true;
        for (TlsFileCheck.Finding finding : findings) {
            String key = keys.get(finding.setting());
            if (finding.error()) {
                problem(key, finding.message());
                ok = false;
            } else {
                warning(key, finding.message());
            }
        }
        return ok;
    }

    @Override
    public Optional<Path> path(String key) {
        return scalar(key).flatMap(values::path);
    }

    @Override
    public Optional<URI> uri(String key, Set<String> schemes) {
        return scalar(key).flatMap(s -> values.uri(s, schemes));
    }

    @Override
    public Optional<Template> template(String key, TemplateScope scope) {
        return scalar(key).map(s -> values.template(s, scope, bindingsKnown));
    }

    /** A template that must be present and not empty. */
    public Optional<Template> requiredTemplate(String key, TemplateScope scope) {
        String text = requiredString(key);
        return text.isEmpty() ? Optional.empty() : template(key, scope);
    }

    @Override
    public Map<String, Template> templates(String key, TemplateScope scope) {
        Map<String, Template> result = new LinkedHashMap<>();
        map(key).ifPresent(m -> {
            NodeMap names = (NodeMap) m;
            for (String name : names.keys()) {
                if (name.isBlank()) {
                    names.problemAt(names.keyLocation(name), "a name must not be empty");
                    continue;
                }
                if (!names.has(name)) {
                    names.problem(name, "'" + name + "' needs a value (a template)");
                }
                names.scalar(name).ifPresent(s -> result.put(name, values.template(s, scope, bindingsKnown)));
            }
        });
        return result;
    }

    @Override
    public Optional<ConfigMap> map(String key) {
        return mapping(key).map(m -> m);
    }

    /** {@link #map} with the internal type. */
    public Optional<NodeMap> mapping(String key) {
        Optional<Node> node = node(key);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        if (!(node.get() instanceof MappingNode mapping)) {
            problem(key, "expected a mapping, not a " + kind(node.get()));
            return Optional.empty();
        }
        return Optional.of(child(mapping, childPath(key)));
    }

    /** {@link #mapping}, or an empty mapping at this key's place when absent. */
    public NodeMap mappingOrEmpty(String key) {
        return mapping(key)
                .orElseGet(() -> empty(context, source, locationOf(key)).withBindingsUnknownIf(!bindingsKnown));
    }

    @Override
    public void checkKeys(Set<String> allowed) {
        Set<String> all = new TreeSet<>(allowed);
        all.addAll(alsoAllowed);
        for (String key : entries.keySet()) {
            if (!all.contains(key)) {
                String suggestion = Suggestions.didYouMean(key, all);
                problemAt(keyLocation(key), "unknown key '" + key + "'"
                        + (suggestion.isEmpty() ? "; expected one of: " + String.join(", ", all) : suggestion));
            }
        }
    }

    @Override
    public void problem(String key, String message) {
        problemAt(locationOf(key), message);
    }

    @Override
    public void warning(String key, String message) {
        context.problems().warning(locationOf(key), message);
    }

    @Override
    public Backoff backoff(String key) {
        return EndpointReader.readReconnect(this, key);
    }

    @Override
    public Optional<MqttEndpointConfig> mqttEndpoint(String uriKey, String defaultClientId) {
        return new EndpointReader(this).read(uriKey, defaultClientId);
    }
}
