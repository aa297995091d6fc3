package io.edgebridge.gcp;

import io.edgebridge.config.template.Template;
import java.util.Optional;
import java.util.regex.Pattern;

/** Pub/Sub's rules for project, topic and subscription names. */
final class PubSubNames {

    /** A topic or subscription id: a letter, then 2..254 of letters, digits and {@code -_.~+%}. */
    private static final Pattern ID = Pattern.compile("[A-Za-z][A-Za-z0-9._~+%-]{2,254}");
    private static final Pattern ID_CHARACTERS = Pattern.compile("[A-Za-z0-9._~+%-]*");
    /** Project ids (6..30 of lower-case letters, digits and '-'), optionally domain-scoped ({@code example.com:proj}). */
    private static final Pattern PROJECT = Pattern.compile("([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]");

    private PubSubNames() {
    }

    /** Why {@code project} is not a project id, if it is not. */
    static Optional<String> projectProblem(String project) {
        return PROJECT.matcher(project).matches() ? Optional.empty()
                : Optional.of("expected a Google Cloud project id (6 to 30 lower-case letters, digits or '-',"
                        + " starting with a letter), like my-project");
    }

    /**
     * The full name ({@code projects/<p>/<kind>/<id>}) of {@code name}, which is an id in
     * {@code project} or already a full name of that kind; or why it is neither.
     *
     * @param kind {@code topics} or {@code subscriptions}
     */
    static Name resolve(String project, String kind, String name) {
        String id = name;
        String owner = project;
        if (name.startsWith("projects/")) {
            String[] parts = name.split("/", -1);
            if (parts.length != 4 || !parts[2].equals(kind) || projectProblem(parts[1]).isPresent()) {
                return new Invalid("'" + shorten(name) + "' is not a " + singular(kind)
                        + " id or a full name like projects/<project>/" + kind + "/<id>");
            }
            owner = parts[1];
            id = parts[3];
        }
        Optional<String> problem = idProblem(id, singular(kind));
        if (problem.isPresent()) {
            return new Invalid(problem.get());
        }
        return new Resolved("projects/" + owner + "/" + kind + "/" + id);
    }

    /** Why {@code id} cannot name a topic or subscription. */
    static Optional<String> idProblem(String id, String what) {
        if (!ID.matcher(id).matches()) {
            return Optional.of(what + " id '" + shorten(id) + "' is invalid: Pub/Sub ids are 3 to 255 letters, digits"
                    + " or - _ . ~ + %, starting with a letter");
        }
        if (id.regionMatches(true, 0, "goog", 0, 4)) {
            return Optional.of(what + " id '" + shorten(id) + "' is invalid: ids must not start with 'goog'");
        }
        return Optional.empty();
    }

    /**
     * Why a target topic template can never render a valid topic name: a literal is checked in
     * full, a template by its literal characters.
     */
    static Optional<String> templateProblem(Template topic) {
        if (topic.isConstant()) {
            return resolve("any-project", "topics", topic.text()) instanceof Invalid invalid ? Optional.of(invalid.reason())
                    : Optional.empty();
        }
        String text = topic.text();
        boolean fullName = text.startsWith("projects/");
        for (Template.Part part : topic.parts()) {
            if (part instanceof Template.Literal literal) {
                String chars = fullName ? literal.text().replace("/", "") : literal.text();
                if (!ID_CHARACTERS.matcher(chars).matches()) {
                    return Optional.of("a Pub/Sub topic id has only letters, digits and - _ . ~ + %: '"
                            + literal.text() + "' cannot be part of one");
                }
            }
        }
        return Optional.empty();
    }

    private static String singular(String kind) {
        return kind.substring(0, kind.length() - 1);
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** A resolved name, or why there is none. */
    sealed interface Name permits Resolved, Invalid {
    }

    record Resolved(String fullName) implements Name {
    }

    record Invalid(String reason) implements Name {
    }
}
