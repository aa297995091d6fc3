package io.edgebridge.config.internal;

import java.io.StringReader;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One parsed YAML input: its node tree (every node keeps the line and column it came from) or the
 * syntax error that stopped the parser.
 *
 * @param source where the text came from
 * @param root   the top-level mapping; empty for an empty document or when parsing failed
 * @param failed whether the text could not be used (syntax error, or the top level is not a
 *               mapping); other inputs' cross-checks are then unreliable
 */
public record YamlDocument(Source source, Optional<MappingNode> root, boolean failed) {

    /** SnakeYAML's alias limit, to stop "billion laughs" documents. */
    static final int MAX_ALIASES = 50;

    public static YamlDocument parse(Source source, String text, Problems problems) {
        Node node;
        try {
            node = yaml().compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
            String context = e.getProblem() != null && e.getContext() != null ? " (" + e.getContext() + ")" : "";
            problems.error(source.at(mark, ""), "YAML syntax: " + problem + context);
            return new YamlDocument(source, Optional.empty(), true);
        } catch (YAMLException e) {
            // Alias limit, code point limit: messages name the limit, not document content.
            problems.error(source.whole(""), "YAML: " + e.getMessage());
            return new YamlDocument(source, Optional.empty(), true);
        }
        if (node == null || isNull(node)) {
            return new YamlDocument(source, Optional.empty(), false);
        }
        if (node instanceof MappingNode mapping) {
            return new YamlDocument(source, Optional.of(mapping), false);
        }
        problems.error(source.at(node.getStartMark(), ""),
                "the top level of a config file must be a mapping of sections (dataDir, local, spool,"
                        + " deadLetter, stats, sinks, routes)");
        return new YamlDocument(source, Optional.empty(), true);
    }

    static boolean isNull(Node node) {
        return node instanceof ScalarNode scalar && Tag.NULL.equals(scalar.getTag());
    }

    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setMergeOnCompose(true);
        return new Yaml(options);
    }
}
