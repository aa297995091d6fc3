package io.edgebridge.config.internal;

import io.edgebridge.config.Backoff;
import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.Location;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.Secret;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.CertificateFiles;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
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
        return substituted(scalar, locationOf(key), key);
    }

    /** The value of {@code node} (under {@code key}, written {@code at}); empty when substitution failed (reported). */
    Optional<Scalar> substituted(ScalarNode node, Location at, String key) {
        Substitution.Result value = context.values().value(node);
        if (value.failed()) {
            return Optional.empty();
        }
        return Optional.of(new Scalar(value.value(), at, value.references(), Scalar.isSecretKey(key)));
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
        return new CollectionReader(this, values).items(key);
    }

    /** The items of a list of single values (a single value counts as a list of one). */
    public Optional<List<Scalar>> scalars(String key) {
        return new CollectionReader(this, values).valueOrList(key);
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
        return new TlsFileReader(this, values).caFile(key);
    }

    @Override
    public Optional<CertificateFiles> certificateAndKey(String certificateKey, String privateKeyKey,
            Optional<Secret> password) {
        return new TlsFileReader(this, values).certificateAndKey(certificateKey, privateKeyKey, password);
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
        return new CollectionReader(this, values).templates(key, scope);
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
