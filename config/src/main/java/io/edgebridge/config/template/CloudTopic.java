package io.edgebridge.config.template;

import java.util.Map;
import java.util.Optional;

/**
 * A topic that a cloud message is matched under by downstream routes (Azure's {@code c2dTopic} and
 * {@code methodTopic}, Pub/Sub's {@code downstream.topic}), rendered from values the cloud sent
 * (application properties, attributes, a method's payload). Those values are untrusted: each must be
 * one valid topic level, so that a value like {@code a/b} or {@code #} can never pick another local
 * topic.
 */
public final class CloudTopic {

    private CloudTopic() {
    }

    /** The rendered topic, or why the message must be rejected. */
    public sealed interface Result permits Routed, Rejected {
    }

    public record Routed(String topic) implements Result {
    }

    public record Rejected(String reason) implements Result {
    }

    /**
     * Why {@code topic} cannot be such a template: it must be a valid topic name, and placeholders
     * must fill whole levels ({@code example} shows how, e.g. {@code c2d/<deviceId>}).
     */
    public static Optional<String> templateProblem(Template topic, String example) {
        StringBuilder sample = new StringBuilder();
        for (Template.Part part : topic.parts()) {
            sample.append(part instanceof Template.Literal l ? l.text() : "x");
        }
        Optional<String> problem = Topics.checkTopicName(sample.toString(), false);
        if (problem.isPresent()) {
            return problem;
        }
        for (String level : topic.text().split("/", -1)) {
            Template t = Template.parse(level);
            if (!t.placeholderNames().isEmpty() && t.parts().size() != 1) {
                return Optional.of("a placeholder must fill a whole topic level, like " + example);
            }
        }
        return Optional.empty();
    }

    /**
     * Renders {@code template} from {@code values}; each value must be one valid topic level.
     * {@code what} names the values in reasons ("application property", "attribute").
     */
    public static Result render(Template template, Map<String, String> values, String what) {
        StringBuilder topic = new StringBuilder();
        for (Template.Part part : template.parts()) {
            if (part instanceof Template.Literal l) {
                topic.append(l.text());
                continue;
            }
            String name = ((Template.Placeholder) part).name();
            String value = values.get(name);
            if (value == null) {
                return new Rejected("the message has no " + what + " '" + name + "'");
            }
            Optional<String> problem = Topics.checkUntrustedLevel(value);
            if (problem.isPresent()) {
                return new Rejected(what + " '" + name + "' " + problem.get());
            }
            topic.append(value);
        }
        return new Routed(topic.toString());
    }
}
