package io.edgebridge.core.internal.delivery;

/**
 * Text about a message that will be published or logged: what came from a device or a cloud can be
 * as long as MQTT allows (a 65,535-byte topic) or longer once rendered, and an error message can hold
 * anything. Dead letters and log lines get it valid and bounded.
 */
final class DeadLetterText {

    /** The longest value of a dead letter's user property, in UTF-8 bytes (the marker included). */
    static final int MAX_PROPERTY_BYTES = 1024;
    /** The longest source topic a dead-letter topic template binds as {@code <topic>}, in UTF-8 bytes. */
    static final int MAX_TOPIC_VALUE_BYTES = 1024;
    /** The longest topic a log line shows, in characters. */
    private static final int MAX_LOGGED_CHARS = 200;
    private static final char REPLACEMENT = '\uFFFD';

    private DeadLetterText() {
    }

    /**
     * {@code value} as a valid MQTT string of at most {@link #MAX_PROPERTY_BYTES} UTF-8 bytes: NUL,
     * other control characters and lone surrogates become U+FFFD; a longer value is cut at a
     * character boundary and ends with {@code ...[truncated from N bytes]} (N: its whole UTF-8 length).
     */
    static String property(String value) {
        String clean = valid(value);
        long bytes = utf8Length(clean);
        if (bytes <= MAX_PROPERTY_BYTES) {
            return clean;
        }
        String marker = "...[truncated from " + bytes + " bytes]";
        return prefix(clean, MAX_PROPERTY_BYTES - marker.length()) + marker;
    }

    /** {@code topic} cut to at most {@link #MAX_TOPIC_VALUE_BYTES} UTF-8 bytes, at a character boundary. */
    static String topicValue(String topic) {
        return prefix(topic, MAX_TOPIC_VALUE_BYTES);
    }

    /** {@code text} short enough for a log line: its first 200 characters, then how long it was. */
    static String logged(String text) {
        if (text.length() <= MAX_LOGGED_CHARS) {
            return text;
        }
        int end = MAX_LOGGED_CHARS;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "...(" + text.length() + " characters)";
    }

    private static String valid(String value) {
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1));
            boolean bad = !pair && (Character.isISOControl(c) || Character.isSurrogate(c));
            if (bad && out == null) {
                out = new StringBuilder(value.length()).append(value, 0, i);
            }
            if (out != null) {
                if (bad) {
                    out.append(REPLACEMENT);
                } else if (pair) {
                    out.append(c).append(value.charAt(i + 1));
                } else {
                    out.append(c);
                }
            }
            if (pair) {
                i++;
            }
        }
        return out == null ? value : out.toString();
    }

    /** The longest prefix of {@code s} (valid UTF-16) of at most {@code maxBytes} UTF-8 bytes. */
    private static String prefix(String s, int maxBytes) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int width;
            int chars = 1;
            if (c < 0x80) {
                width = 1;
            } else if (c < 0x800) {
                width = 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                width = 4;
                chars = 2;
            } else {
                width = 3;
            }
            if (bytes + width > maxBytes) {
                return s.substring(0, i);
            }
            bytes += width;
            i += chars - 1;
        }
        return s;
    }

    private static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
