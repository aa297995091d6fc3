package io.edgebridge.config.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A string with {@code <name>} placeholders, used for target topics, payload templates and
 * per-target metadata. {@code <<} writes a literal '<'; a '<' that does not start a valid
 * placeholder is literal. Parsed once at load; the engine resolves names to slots when it
 * compiles routes.
 */
public final class Template extends ParsedText {

    /** One piece of a template. */
    public sealed interface Part permits Literal, Placeholder {
    }

    public record Literal(String text) implements Part {
    }

    public record Placeholder(String name) implements Part {
    }

    private final List<Part> parts;
    private final Set<String> names;

    private Template(String text, List<Part> parts) {
        super(text);
        this.parts = parts;
        Set<String> n = new LinkedHashSet<>();
        for (Part p : parts) {
            if (p instanceof Placeholder ph) {
                n.add(ph.name());
            }
        }
        this.names = Collections.unmodifiableSet(n);
    }

    public static Template parse(String text) {
        Objects.requireNonNull(text, "text");
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '<') {
                if (i + 1 < text.length() && text.charAt(i + 1) == '<') {
                    literal.append('<');
                    i += 2;
                    continue;
                }
                int close = text.indexOf('>', i + 1);
                if (close > i + 1 && isValidName(text.substring(i + 1, close))) {
                    if (literal.length() > 0) {
                        parts.add(new Literal(literal.toString()));
                        literal.setLength(0);
                    }
                    parts.add(new Placeholder(text.substring(i + 1, close)));
                    i = close + 1;
                    continue;
                }
            }
            literal.append(c);
            i++;
        }
        if (literal.length() > 0) {
            parts.add(new Literal(literal.toString()));
        }
        return new Template(text, Collections.unmodifiableList(parts));
    }

    /** A template with no placeholders. */
    public static Template literal(String text) {
        return new Template(text, text.isEmpty() ? List.of() : List.of(new Literal(text)));
    }

    /** Placeholder names: {@code #}, or a letter or '_' followed by letters, digits, '_', '-', '.'. */
    public static boolean isValidName(String name) {
        if (name.equals(TopicFilter.REST)) {
            return true;
        }
        if (name.isEmpty() || !(Character.isLetter(name.charAt(0)) || name.charAt(0) == '_')) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    public List<Part> parts() {
        return parts;
    }

    /** Placeholder names in order of first use. */
    public Set<String> placeholderNames() {
        return names;
    }

    public boolean isConstant() {
        return names.isEmpty();
    }
}
