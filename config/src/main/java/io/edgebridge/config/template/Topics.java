package io.edgebridge.config.template;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** MQTT topic rules shared by config validation and the engine. */
public final class Topics {

    /** The MQTT limit on a topic's UTF-8 length. */
    public static final int MAX_TOPIC_BYTES = 65_535;

    /**
     * Longest value a cloud message may bind into one local topic level, in characters (Unicode code
     * points, as a person counts them: an emoji is one, not two UTF-16 units); at most 1,024 UTF-8 bytes.
     */
    public static final int MAX_BOUND_LEVEL_LENGTH = 256;

    private Topics() {
    }

    /**
     * Why a value taken from an untrusted (cloud) message cannot be used as one topic level, or
     * empty if it can.
     */
    public static Optional<String> checkUntrustedLevel(String value) {
        if (value.isEmpty()) {
            return Optional.of("is empty");
        }
        if (value.length() > 2 * MAX_BOUND_LEVEL_LENGTH) {
            // Longer in UTF-16 units than any text of MAX_BOUND_LEVEL_LENGTH code points: no need to scan it.
            return Optional.of("is longer than " + MAX_BOUND_LEVEL_LENGTH + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '/':
                    return Optional.of("contains '/'");
                case '+':
                case '#':
                    return Optional.of("contains the wildcard '" + c + "'");
                case '\0':
                    return Optional.of("contains a NUL character");
                default:
                    if (Character.isISOControl(c)) {
                        return Optional.of("contains a control character");
                    }
                    if (Character.isSurrogate(c)
                            && !(Character.isHighSurrogate(c) && i + 1 < value.length()
                                    && Character.isLowSurrogate(value.charAt(i + 1)))
                            && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(value.charAt(i - 1)))) {
                        return Optional.of("is not valid UTF-16 text");
                    }
            }
        }
        if (value.length() > MAX_BOUND_LEVEL_LENGTH && value.codePointCount(0, value.length()) > MAX_BOUND_LEVEL_LENGTH) {
            return Optional.of("is longer than " + MAX_BOUND_LEVEL_LENGTH + " characters");
        }
        return Optional.empty();
    }

    /**
     * Why {@code topic} cannot be published to, or empty if it can. {@code allowDollar} permits a
     * leading '$' (cloud-specific topics such as {@code $aws/...}); local brokers refuse those.
     */
    public static Optional<String> checkTopicName(String topic, boolean allowDollar) {
        if (topic.isEmpty()) {
            return Optional.of("topic is empty");
        }
        if (!allowDollar && topic.charAt(0) == '$') {
            return Optional.of("topic starts with '$'");
        }
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            if (c == '+' || c == '#') {
                return Optional.of("topic contains the wildcard '" + c + "'");
            }
            if (c == '\0') {
                return Optional.of("topic contains a NUL character");
            }
        }
        if (topic.length() * 3 > MAX_TOPIC_BYTES && topic.getBytes(StandardCharsets.UTF_8).length > MAX_TOPIC_BYTES) {
            return Optional.of("topic is longer than " + MAX_TOPIC_BYTES + " bytes");
        }
        return Optional.empty();
    }

    /** Splits a topic name into its levels ({@code "a//b"} has three levels, the middle one empty). */
    public static String[] levels(String topic) {
        int count = 1;
        for (int i = 0; i < topic.length(); i++) {
            if (topic.charAt(i) == '/') {
                count++;
            }
        }
        String[] levels = new String[count];
        int start = 0;
        int n = 0;
        for (int i = 0; i < topic.length(); i++) {
            if (topic.charAt(i) == '/') {
                levels[n++] = topic.substring(start, i);
                start = i + 1;
            }
        }
        levels[n] = topic.substring(start);
        return levels;
    }
}
