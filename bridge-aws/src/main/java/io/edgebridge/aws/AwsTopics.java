package io.edgebridge.aws;

import io.edgebridge.config.template.Template;
import io.edgebridge.config.template.TopicFilter;
import io.edgebridge.config.template.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * AWS IoT Core's limits on topics a device publishes to: at most 256 UTF-8 bytes, at most 7
 * forward slashes (8 levels; a Basic Ingest prefix {@code $aws/rules/<rule>/} does not count), and
 * of the reserved {@code $} topics only the device-side shadow, jobs and Basic Ingest ones.
 */
final class AwsTopics {

    static final int MAX_TOPIC_BYTES = 256;
    static final int MAX_SLASHES = 7;
    /** 128 KB: IoT Core refuses larger PUBLISH payloads. */
    static final int MAX_PAYLOAD_BYTES = 128 * 1024;

    static final String RESERVED_FAMILIES = "$aws/things/<thing>/shadow/[name/<shadow>/](update|get|delete), "
            + "$aws/things/<thing>/jobs/(get|start-next|<jobId>/get|<jobId>/update), $aws/rules/<rule>/<topic>";

    private static final Pattern RESERVED = Pattern.compile(
            "\\$aws/things/[^/$#+]+/(shadow/(name/[^/$#+]+/)?(update|get|delete)"
                    + "|jobs/(get|start-next|[^/$#+]+/(get|update)))");
    private static final Pattern BASIC_INGEST = Pattern.compile("\\$aws/rules/[^/$#+]+/.+");
    private static final String THINGS = "$aws/things/";
    private static final String RULES = "$aws/rules/";

    private AwsTopics() {
    }

    /** Why IoT Core would refuse a publish to {@code topic}, if it would. */
    static Optional<String> problem(String topic) {
        Optional<String> mqtt = Topics.checkTopicName(topic, true);
        if (mqtt.isPresent()) {
            return mqtt;
        }
        int bytes = topic.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_TOPIC_BYTES) {
            return Optional.of("topic is " + bytes + " bytes; AWS IoT Core allows at most " + MAX_TOPIC_BYTES);
        }
        boolean ingest = BASIC_INGEST.matcher(topic).matches();
        if (topic.startsWith("$") && !ingest && !RESERVED.matcher(topic).matches()) {
            return Optional.of("AWS IoT Core reserves topics starting with '$'; a device may publish only to "
                    + RESERVED_FAMILIES);
        }
        int slashes = slashes(ingest ? afterIngestPrefix(topic) : topic);
        if (slashes > MAX_SLASHES) {
            return Optional.of("topic has " + (slashes + 1) + " levels; AWS IoT Core allows at most "
                    + (MAX_SLASHES + 1) + " (7 '/')");
        }
        return Optional.empty();
    }

    /**
     * Why every topic {@code template} can render would be refused, judged from its literal text
     * alone (placeholders only ever add bytes and, for {@code <topic>} or {@code <#>}, levels).
     */
    static Optional<String> templateProblem(Template template) {
        if (template.isConstant()) {
            return problem(template.text());
        }
        StringBuilder literal = new StringBuilder();
        StringBuilder prefix = new StringBuilder();
        boolean inPrefix = true;
        for (Template.Part part : template.parts()) {
            if (part instanceof Template.Literal l) {
                literal.append(l.text());
                if (inPrefix) {
                    prefix.append(l.text());
                }
            } else {
                inPrefix = false;
            }
        }
        int bytes = literal.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_TOPIC_BYTES) {
            return Optional.of("the topic's fixed text alone is " + bytes + " bytes; AWS IoT Core allows at most "
                    + MAX_TOPIC_BYTES);
        }
        String start = prefix.toString();
        boolean ingest = start.startsWith(RULES);
        if (start.startsWith("$") && !ingest && !(start.startsWith(THINGS) || THINGS.startsWith(start))
                && !RULES.startsWith(start)) {
            return Optional.of("AWS IoT Core reserves topics starting with '$'; a device may publish only to "
                    + RESERVED_FAMILIES);
        }
        if (start.startsWith(THINGS) && !template.placeholderNames().contains("topic")
                && !template.placeholderNames().contains(TopicFilter.REST)) {
            // Every placeholder fills exactly one level: one rendering shows whether the family is allowed.
            StringBuilder sample = new StringBuilder();
            template.parts().forEach(part -> sample.append(part instanceof Template.Literal l ? l.text() : "x"));
            if (!RESERVED.matcher(sample).matches()) {
                return Optional.of("AWS IoT Core reserves topics starting with '$'; a device may publish only to "
                        + RESERVED_FAMILIES);
            }
        }
        int slashes = slashes(literal.toString()) - (ingest ? 3 : 0);
        if (slashes > MAX_SLASHES) {
            return Optional.of("the topic has at least " + (slashes + 1) + " levels; AWS IoT Core allows at most "
                    + (MAX_SLASHES + 1) + " (7 '/')");
        }
        return Optional.empty();
    }

    private static String afterIngestPrefix(String topic) {
        int third = topic.indexOf('/', RULES.length());
        return topic.substring(third + 1);
    }

    private static int slashes(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '/') {
                n++;
            }
        }
        return n;
    }
}
