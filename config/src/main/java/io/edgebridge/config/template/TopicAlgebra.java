package io.edgebridge.config.template;

/**
 * MQTT 5 topic filter algebra (§4.7), the one place that decides whether a filter matches a topic,
 * covers another filter, or overlaps it. {@code +} matches exactly one level (an empty one too),
 * {@code #} the rest including the parent level ({@code a/#} matches {@code a}), and a filter whose
 * first level is a wildcard matches no topic starting with {@code $}. Filters and topics are text or
 * levels ({@link Topics#levels}); filters are assumed valid ({@code #} only last, wildcards filling
 * whole levels, no {@code $share/} prefix).
 */
public final class TopicAlgebra {

    private TopicAlgebra() {
    }

    /** Whether {@code filter} matches the topic name {@code topic}. */
    public static boolean matches(String filter, String topic) {
        return matches(Topics.levels(filter), Topics.levels(topic));
    }

    public static boolean matches(String[] filter, String[] topic) {
        if (isWildcard(filter[0]) && isDollar(topic[0])) {
            return false;
        }
        for (int i = 0; i < filter.length; i++) {
            if (filter[i].equals("#")) {
                return true;
            }
            if (i == topic.length || (!filter[i].equals("+") && !filter[i].equals(topic[i]))) {
                return false;
            }
        }
        return filter.length == topic.length;
    }

    /** Whether every topic that {@code b} matches is matched by {@code a} (so {@code b} adds nothing to {@code a}). */
    public static boolean covers(String a, String b) {
        return covers(Topics.levels(a), Topics.levels(b));
    }

    public static boolean covers(String[] a, String[] b) {
        if (isWildcard(a[0]) && isDollar(b[0])) {
            return false; // b matches '$' topics, a none
        }
        for (int i = 0; ; i++) {
            if (i == a.length) {
                return i == b.length;
            }
            if (a[i].equals("#")) {
                return true;
            }
            if (i == b.length) {
                return false;
            }
            if (b[i].equals("#")) {
                // b also matches the topic that ends here, which only '#' covers; unless that topic would be
                // empty (no level yet, or one empty level), so '+/#' covers '#' and '/+/#' covers '/#'.
                return needsLevel(b, i) && a.length == i + 2 && a[i].equals("+") && a[i + 1].equals("#");
            }
            if (!a[i].equals("+") && !a[i].equals(b[i])) {
                return false; // a literal level covers only itself, not '+'
            }
        }
    }

    /** Whether some topic is matched by both {@code a} and {@code b}. */
    public static boolean overlaps(String a, String b) {
        return overlaps(Topics.levels(a), Topics.levels(b));
    }

    public static boolean overlaps(String[] a, String[] b) {
        if ((isWildcard(a[0]) && isDollar(b[0])) || (isWildcard(b[0]) && isDollar(a[0]))) {
            return false; // one matches only '$' topics, the other none
        }
        for (int i = 0; ; i++) {
            if (i == a.length && i == b.length) {
                return true;
            }
            if (i == a.length || i == b.length) {
                // Past the shorter one's end only a final '#' of the longer one matches ('a/#' matches 'a'),
                // and not when that topic would be empty ('/#' does not match '').
                String[] longer = i < a.length ? a : b;
                String[] shorter = longer == a ? b : a;
                return longer[i].equals("#") && !needsLevel(longer, i) && !needsLevel(shorter, i);
            }
            if (a[i].equals("#") || b[i].equals("#")) {
                return true;
            }
            if (!a[i].equals("+") && !b[i].equals("+") && !a[i].equals(b[i])) {
                return false;
            }
        }
    }

    /**
     * Whether a topic matched by {@code filter} must have a level past {@code i}: the topic name made
     * of the levels before {@code i} would be empty, which MQTT does not allow.
     */
    private static boolean needsLevel(String[] filter, int i) {
        return i == 0 || (i == 1 && filter[0].isEmpty());
    }

    private static boolean isWildcard(String level) {
        return level.equals("+") || level.equals("#");
    }

    private static boolean isDollar(String firstLevel) {
        return firstLevel.startsWith("$");
    }
}
