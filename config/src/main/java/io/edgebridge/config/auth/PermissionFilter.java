package io.edgebridge.config.auth;

import io.edgebridge.config.template.ParsedText;
import io.edgebridge.config.template.TemplateSyntaxException;
import io.edgebridge.config.template.TopicAlgebra;
import io.edgebridge.config.template.Topics;
import java.util.Optional;

/**
 * A topic filter of a permission rule: MQTT filter syntax where a level written {@code <clientId>}
 * or {@code <username>} stands for the connecting client's id or user name. {@link #resolve}
 * substitutes them; a value that is not exactly one plain topic level never matches, so a client
 * cannot widen its permissions by choosing an id like {@code +} or {@code a/#}.
 */
public final class PermissionFilter extends ParsedText {

    public static final String CLIENT_ID = "clientId";
    public static final String USERNAME = "username";

    private final String[] levels;

    private PermissionFilter(String text, String[] levels) {
        super(text);
        this.levels = levels;
    }

    public static PermissionFilter parse(String text) {
        if (text.isEmpty()) {
            throw new TemplateSyntaxException("topic filter is empty");
        }
        if (text.startsWith("$share/")) {
            throw new TemplateSyntaxException("write the filter without $share/<group>/: shared subscriptions are"
                    + " checked against the filter they share");
        }
        if (text.indexOf('\0') >= 0) {
            throw new TemplateSyntaxException("topic filter contains a NUL character");
        }
        String[] levels = Topics.levels(text);
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            if (level.equals("#")) {
                if (i != levels.length - 1) {
                    throw new TemplateSyntaxException("'#' must be the last level of a topic filter");
                }
            } else if (level.equals("+") || level.equals("<" + CLIENT_ID + ">") || level.equals("<" + USERNAME + ">")) {
                continue;
            } else if (level.indexOf('+') >= 0 || level.indexOf('#') >= 0) {
                throw new TemplateSyntaxException("wildcards must fill a whole level, not '" + level + "'");
            } else if (level.indexOf('<') >= 0 || level.indexOf('>') >= 0) {
                throw new TemplateSyntaxException("'" + level + "': a permission filter knows the placeholders <"
                        + CLIENT_ID + "> and <" + USERNAME + ">, each filling a whole level");
            }
        }
        return new PermissionFilter(text, levels);
    }

    public boolean usesUsername() {
        return uses(USERNAME);
    }

    public boolean usesClientId() {
        return uses(CLIENT_ID);
    }

    private boolean uses(String name) {
        for (String level : levels) {
            if (level.equals("<" + name + ">")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The filter for one client, as MQTT filter levels; empty when it names a value the client does
     * not have (no user name) or one that is not a single plain level.
     */
    public Optional<String[]> resolve(String clientId, Optional<String> username) {
        String[] out = levels.clone();
        for (int i = 0; i < out.length; i++) {
            String value;
            if (out[i].equals("<" + CLIENT_ID + ">")) {
                value = clientId;
            } else if (out[i].equals("<" + USERNAME + ">")) {
                value = username.orElse(null);
            } else {
                continue;
            }
            if (!isPlainLevel(value)) {
                return Optional.empty();
            }
            out[i] = value;
        }
        return Optional.of(out);
    }

    /** Non-empty, and no '/', '+', '#' or NUL: it can only ever match itself. */
    static boolean isPlainLevel(String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '/' || c == '+' || c == '#' || c == '\0') {
                return false;
            }
        }
        return true;
    }

    /** Whether the filter (levels) matches the topic, with MQTT's rule for topics starting with '$'. */
    public static boolean matches(String[] filter, String topic) {
        return TopicAlgebra.matches(filter, Topics.levels(topic));
    }

    /**
     * Whether every topic {@code subscription} can match is matched by {@code filter}: a client
     * subscribing within its permission cannot receive anything outside it.
     */
    public static boolean covers(String[] filter, String subscription) {
        return TopicAlgebra.covers(filter, Topics.levels(subscription));
    }
}
