package io.edgebridge.config.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A route's source filter: MQTT topic filter syntax where a level written {@code <name>} matches
 * exactly one level and binds it, {@code +} matches one level without binding, and a final
 * {@code #} matches the rest and binds it as {@code <#>}. Parsed once; {@link #matches} does no
 * allocation.
 */
public final class TopicFilter extends ParsedText {

    /** The binding name of the text matched by a final {@code #}. */
    public static final String REST = "#";

    private static final byte LITERAL = 0;
    private static final byte BIND = 1;
    private static final byte PLUS = 2;

    private final String subscription;
    private final byte[] kinds;
    private final String[] literals;
    /** For each level of kind BIND, the slot its value goes to. */
    private final int[] slots;
    private final boolean multiLevel;
    private final List<String> bindingNames;

    private TopicFilter(String text, String subscription, byte[] kinds, String[] literals, int[] slots,
            boolean multiLevel, List<String> bindingNames) {
        super(text);
        this.subscription = subscription;
        this.kinds = kinds;
        this.literals = literals;
        this.slots = slots;
        this.multiLevel = multiLevel;
        this.bindingNames = bindingNames;
    }

    public static TopicFilter parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            throw new TemplateSyntaxException("topic filter is empty");
        }
        if (text.startsWith("$share/")) {
            throw new TemplateSyntaxException("shared subscriptions ($share/...) cannot be used as a route filter");
        }
        String[] levels = Topics.levels(text);
        boolean multiLevel = levels[levels.length - 1].equals("#");
        int fixed = multiLevel ? levels.length - 1 : levels.length;
        byte[] kinds = new byte[fixed];
        String[] literals = new String[fixed];
        int[] slots = new int[fixed];
        List<String> names = new ArrayList<>();
        StringBuilder subscription = new StringBuilder(text.length());
        for (int i = 0; i < fixed; i++) {
            String level = levels[i];
            if (i > 0) {
                subscription.append('/');
            }
            if (level.equals("#")) {
                throw new TemplateSyntaxException("'#' must be the last level of a topic filter");
            } else if (level.equals("+")) {
                kinds[i] = PLUS;
                subscription.append('+');
            } else if (isPlaceholderLevel(level)) {
                String name = level.substring(1, level.length() - 1);
                if (name.equals(REST)) {
                    throw new TemplateSyntaxException("<#> cannot be written in a filter; end the filter with '#' to bind the rest");
                }
                if (names.contains(name)) {
                    throw new TemplateSyntaxException("<" + name + "> is bound twice in the filter");
                }
                kinds[i] = BIND;
                slots[i] = names.size();
                names.add(name);
                subscription.append('+');
            } else {
                checkLiteralLevel(level);
                kinds[i] = LITERAL;
                literals[i] = level;
                subscription.append(level);
            }
        }
        if (multiLevel) {
            if (fixed > 0) {
                subscription.append('/');
            }
            subscription.append('#');
            names.add(REST);
        }
        return new TopicFilter(text, subscription.toString(), kinds, literals, slots, multiLevel,
                Collections.unmodifiableList(names));
    }

    private static boolean isPlaceholderLevel(String level) {
        return level.length() >= 2 && level.charAt(0) == '<' && level.charAt(level.length() - 1) == '>'
                && Template.isValidName(level.substring(1, level.length() - 1));
    }

    private static void checkLiteralLevel(String level) {
        if (level.indexOf('+') >= 0 || level.indexOf('#') >= 0) {
            throw new TemplateSyntaxException("wildcards must fill a whole level, not '" + level + "'");
        }
        if (level.indexOf('<') >= 0 || level.indexOf('>') >= 0) {
            throw new TemplateSyntaxException("a placeholder must fill a whole level: '" + level
                    + "' (placeholder names are letters, digits, '_', '-' and '.', starting with a letter or '_')");
        }
        if (level.indexOf('\0') >= 0) {
            throw new TemplateSyntaxException("topic filter contains a NUL character");
        }
    }

    /** The MQTT subscription filter: placeholders replaced by {@code +}. */
    public String subscription() {
        return subscription;
    }

    /** Names bound by this filter, in slot order; {@link #REST} last when the filter ends in '#'. */
    public List<String> bindingNames() {
        return bindingNames;
    }

    public int bindingCount() {
        return bindingNames.size();
    }

    public boolean isMultiLevel() {
        return multiLevel;
    }

    /**
     * Matches a topic split into levels ({@link Topics#levels}). On a match fills
     * {@code values[slot]} for each binding (the rest for {@code #}, possibly empty) and returns
     * true. {@code values} must hold at least {@link #bindingCount()} elements.
     */
    public boolean matches(String topic, String[] levels, String[] values) {
        int fixed = kinds.length;
        if (levels.length < fixed || (!multiLevel && levels.length != fixed)) {
            return false;
        }
        // MQTT: filters starting with a wildcard do not match topics starting with '$'.
        if (!topic.isEmpty() && topic.charAt(0) == '$' && (fixed == 0 || kinds[0] != LITERAL)) {
            return false;
        }
        for (int i = 0; i < fixed; i++) {
            switch (kinds[i]) {
                case LITERAL:
                    if (!literals[i].equals(levels[i])) {
                        return false;
                    }
                    break;
                case BIND:
                    values[slots[i]] = levels[i];
                    break;
                default:
                    break;
            }
        }
        if (multiLevel) {
            values[bindingNames.size() - 1] = restOf(topic, fixed);
        }
        return true;
    }

    private static String restOf(String topic, int skipLevels) {
        if (skipLevels == 0) {
            return topic;
        }
        int idx = 0;
        for (int skipped = 0; skipped < skipLevels; skipped++) {
            idx = topic.indexOf('/', idx);
            if (idx < 0) {
                return "";
            }
            idx++;
        }
        return topic.substring(idx);
    }

    /** Whether some topic could match both this filter and {@code other}. */
    public boolean overlaps(TopicFilter other) {
        return subscriptionsOverlap(subscription, other.subscription);
    }

    /** Whether some topic could match both MQTT subscription filters ({@link TopicAlgebra#overlaps}). */
    public static boolean subscriptionsOverlap(String a, String b) {
        return TopicAlgebra.overlaps(a, b);
    }
}
