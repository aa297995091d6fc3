package io.edgebridge.config.internal;

import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import io.edgebridge.config.template.TopicFilter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** The messages for templates: unbound placeholders and topic text that cannot be published to. */
public final class TemplateChecks {

    private static final List<String> BUILT_IN_ORDER = List.of("topic", "route", "sink", "timestamp");

    private TemplateChecks() {
    }

    /** One message per placeholder of {@code template} that {@code scope} does not allow. */
    public static List<String> unbound(Template template, TemplateScope scope, Scalar value) {
        List<String> messages = new ArrayList<>();
        for (String name : template.placeholderNames()) {
            if (!scope.allows(name)) {
                if (value.sensitive()) {
                    messages.add(prefix(scope) + value.shown() + " uses a placeholder that is not bound; "
                            + available(scope));
                    break;
                }
                String hint = name.equals(TopicFilter.REST) ? ": only a filter ending in '#' binds <#>"
                        : didYouMean(name, scope.names());
                messages.add(prefix(scope) + "<" + name + "> is not bound" + hint + "; " + available(scope));
            }
        }
        return messages;
    }

    /** {@code " (did you mean <x>?)"} or "". */
    public static String didYouMean(String name, Collection<String> names) {
        return Suggestions.closest(name, names).map(n -> " (did you mean <" + n + ">?)").orElse("");
    }

    static String prefix(TemplateScope scope) {
        return scope.routeName().isEmpty() ? "" : "route '" + scope.routeName() + "': ";
    }

    private static String available(TemplateScope scope) {
        List<String> builtIns = new ArrayList<>(BUILT_IN_ORDER);
        if (scope.payloadAllowed()) {
            builtIns.add(TemplateScope.PAYLOAD);
        }
        String binds = scope.bindings().isEmpty() ? "nothing" : ": " + String.join(", ", scope.bindings());
        if (scope.routeName().isEmpty() && scope.bindings().isEmpty()) {
            return "this template may use: " + String.join(", ", builtIns);
        }
        return "this route binds" + (scope.bindings().isEmpty() ? " nothing" : binds) + "; built-ins: "
                + String.join(", ", builtIns);
    }

    /** Why the literal text of a topic template cannot appear in a topic name, if it cannot. */
    public static Optional<String> literalProblem(Template topic) {
        for (Template.Part part : topic.parts()) {
            if (part instanceof Template.Literal literal) {
                String text = literal.text();
                if (text.indexOf('+') >= 0 || text.indexOf('#') >= 0) {
                    char c = text.indexOf('+') >= 0 ? '+' : '#';
                    return Optional.of("a topic to publish to cannot contain the wildcard '" + c + "'");
                }
                if (text.indexOf('\0') >= 0) {
                    return Optional.of("a topic cannot contain a NUL character");
                }
            }
        }
        return Optional.empty();
    }

    public static boolean startsWithDollar(Template topic) {
        return !topic.parts().isEmpty() && topic.parts().get(0) instanceof Template.Literal literal
                && literal.text().startsWith("$");
    }

    /**
     * An MQTT subscription that matches every topic the template can produce: each level holding
     * a placeholder becomes '+'.
     */
    public static String coveringFilter(Template topic) {
        StringBuilder marked = new StringBuilder();
        for (Template.Part part : topic.parts()) {
            if (part instanceof Template.Literal literal) {
                marked.append(literal.text());
            } else {
                marked.append('\0');
            }
        }
        String[] levels = marked.toString().split("/", -1);
        StringBuilder filter = new StringBuilder();
        for (int i = 0; i < levels.length; i++) {
            if (i > 0) {
                filter.append('/');
            }
            filter.append(levels[i].indexOf('\0') >= 0 ? "+" : levels[i]);
        }
        return filter.toString();
    }
}
