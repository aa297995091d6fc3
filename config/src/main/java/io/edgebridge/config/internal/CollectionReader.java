package io.edgebridge.config.internal;

import io.edgebridge.config.Location;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Values made of several scalars under one key of a {@link NodeMap}: lists of single values, each
 * item with its own location, and mappings of names to templates.
 */
final class CollectionReader {

    private final NodeMap map;
    private final ValueReader values;

    CollectionReader(NodeMap map, ValueReader values) {
        this.map = map;
        this.values = values;
    }

    /** See {@link NodeMap#scalarItems}. */
    List<Scalar> items(String key) {
        List<Scalar> items = new ArrayList<>();
        List<Node> nodes = map.sequence(key).orElse(List.of());
        for (int i = 0; i < nodes.size(); i++) {
            Location at = map.locate(nodes.get(i), NodeMap.itemPath(map.childPath(key), i));
            if (!(nodes.get(i) instanceof ScalarNode scalar)) {
                map.problemAt(at, "expected a single value (scalar), not a " + NodeMap.kind(nodes.get(i)));
                continue;
            }
            map.substituted(scalar, at, key).ifPresent(items::add);
        }
        return items;
    }

    /** See {@link NodeMap#scalars}. */
    Optional<List<Scalar>> valueOrList(String key) {
        Optional<Node> node = map.node(key);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        List<Node> items = node.get() instanceof SequenceNode seq ? seq.getValue() : List.of(node.get());
        List<Scalar> result = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            String path = node.get() instanceof SequenceNode ? NodeMap.itemPath(map.childPath(key), i)
                    : map.childPath(key);
            if (!(items.get(i) instanceof ScalarNode scalar) || YamlDocument.isNull(items.get(i))) {
                map.problemAt(map.locate(items.get(i), path), "expected a single value, not a "
                        + (YamlDocument.isNull(items.get(i)) ? "missing one" : NodeMap.kind(items.get(i))));
                ok = false;
                continue;
            }
            Optional<Scalar> value = map.substituted(scalar, map.locate(scalar, path), key);
            if (value.isEmpty()) {
                ok = false;
                continue;
            }
            result.add(value.get());
        }
        return ok ? Optional.of(result) : Optional.empty();
    }

    /** See {@link NodeMap#templates}. */
    Map<String, Template> templates(String key, TemplateScope scope) {
        Map<String, Template> result = new LinkedHashMap<>();
        map.mapping(key).ifPresent(names -> {
            for (String name : names.keys()) {
                if (name.isBlank()) {
                    names.problemAt(names.keyLocation(name), "a name must not be empty");
                    continue;
                }
                if (!names.has(name)) {
                    names.problem(name, "'" + name + "' needs a value (a template)");
                }
                names.scalar(name).ifPresent(s -> result.put(name, values.template(s, scope, map.bindingsKnown())));
            }
        });
        return result;
    }
}
