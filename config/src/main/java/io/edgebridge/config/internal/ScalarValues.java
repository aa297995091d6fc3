package io.edgebridge.config.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The checks that look at a whole document once, before any section is read: duplicate and
 * non-scalar keys, and {@code ${...}} substitution of every scalar value. Holds the substituted
 * values so readers never substitute (or report) twice.
 */
public final class ScalarValues {

    private final Substitution substitution;
    private final Problems problems;
    private final Map<ScalarNode, Substitution.Result> values = new IdentityHashMap<>();
    private final Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());

    public ScalarValues(Substitution substitution, Problems problems) {
        this.substitution = substitution;
        this.problems = problems;
    }

    public void scan(YamlDocument document) {
        document.root().ifPresent(root -> walk(document.source(), root, ""));
    }

    /** The value after substitution; keys and unscanned nodes are returned as written. */
    public Substitution.Result value(ScalarNode node) {
        Substitution.Result result = values.get(node);
        return result != null ? result : new Substitution.Result(node.getValue(), List.of(), List.of());
    }

    private void walk(Source source, Node node, String keyPath) {
        if (!visited.add(node)) {
            return; // an alias of a node already checked
        }
        if (node instanceof MappingNode mapping) {
            walkMapping(source, mapping, keyPath);
        } else if (node instanceof SequenceNode sequence) {
            List<Node> items = sequence.getValue();
            for (int i = 0; i < items.size(); i++) {
                walk(source, items.get(i), keyPath + "[" + i + "]");
            }
        } else if (node instanceof ScalarNode scalar && !YamlDocument.isNull(scalar)) {
            Substitution.Result result = substitution.expand(scalar.getValue());
            values.put(scalar, result);
            for (String error : result.errors()) {
                problems.error(source.at(scalar.getStartMark(), keyPath), error);
            }
        }
    }

    private void walkMapping(Source source, MappingNode mapping, String keyPath) {
        Map<String, Node> firstKeys = new HashMap<>();
        List<NodeTuple> tuples = new ArrayList<>(mapping.getValue());
        for (NodeTuple tuple : tuples) {
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                problems.error(source.at(tuple.getKeyNode().getStartMark(), keyPath),
                        "a key must be a plain name, not a list or mapping");
                continue;
            }
            String key = keyNode.getValue();
            String childPath = NodeMap.childPath(keyPath, key);
            Node first = firstKeys.putIfAbsent(key, keyNode);
            if (first != null) {
                problems.error(source.at(keyNode.getStartMark(), childPath),
                        "duplicate key '" + key + "' (first at line " + (first.getStartMark().getLine() + 1) + ")");
                continue;
            }
            walk(source, tuple.getValueNode(), childPath);
        }
    }
}
