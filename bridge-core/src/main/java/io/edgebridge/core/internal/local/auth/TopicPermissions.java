package io.edgebridge.core.internal.local.auth;

import io.edgebridge.config.PermissionRule;
import io.edgebridge.config.auth.PermissionFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * {@code local.embedded.permissions}: which topics a client may publish to and subscribe within.
 * The filters of the rules that apply to a client are resolved once per client id and user name.
 */
public final class TopicPermissions {

    /** Bounds the cache; it is rebuilt on demand after being cleared. */
    private static final int MAX_CACHED_CLIENTS = 10_000;

    private final List<CompiledRule> rules;
    private final Map<String, ClientPermissions> cache = new ConcurrentHashMap<>();

    public TopicPermissions(List<PermissionRule> rules) {
        this.rules = rules.stream().map(CompiledRule::new).toList();
    }

    /** What one client may do. */
    public record ClientPermissions(List<String[]> publish, List<String[]> subscribe) {

        public boolean mayPublish(String topic) {
            for (String[] filter : publish) {
                if (PermissionFilter.matches(filter, topic)) {
                    return true;
                }
            }
            return false;
        }

        /** Whether the subscription (without a {@code $share/<group>/} prefix) stays within a permission. */
        public boolean maySubscribe(String filter) {
            for (String[] allowed : subscribe) {
                if (PermissionFilter.covers(allowed, filter)) {
                    return true;
                }
            }
            return false;
        }
    }

    public ClientPermissions forClient(String clientId, Optional<String> username) {
        String key = clientId + '\0' + username.map(u -> "u" + u).orElse("-");
        ClientPermissions cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        if (cache.size() >= MAX_CACHED_CLIENTS) {
            cache.clear();
        }
        List<String[]> publish = new ArrayList<>();
        List<String[]> subscribe = new ArrayList<>();
        for (CompiledRule rule : rules) {
            if (rule.appliesTo(clientId, username)) {
                rule.rule.publish().forEach(f -> f.resolve(clientId, username).ifPresent(publish::add));
                rule.rule.subscribe().forEach(f -> f.resolve(clientId, username).ifPresent(subscribe::add));
            }
        }
        ClientPermissions permissions = new ClientPermissions(List.copyOf(publish), List.copyOf(subscribe));
        cache.put(key, permissions);
        return permissions;
    }

    /** The topic filter of a subscription, without the {@code $share/<group>/} of a shared one. */
    public static String unshared(String filter) {
        if (filter.startsWith("$share/")) {
            int slash = filter.indexOf('/', "$share/".length());
            return slash < 0 ? filter : filter.substring(slash + 1);
        }
        return filter;
    }

    private static final class CompiledRule {
        private final PermissionRule rule;
        private final List<Pattern> clients;

        CompiledRule(PermissionRule rule) {
            this.rule = rule;
            this.clients = rule.clients().stream().map(CompiledRule::glob).toList();
        }

        boolean appliesTo(String clientId, Optional<String> username) {
            if (!clients.isEmpty() && clients.stream().noneMatch(p -> p.matcher(clientId).matches())) {
                return false;
            }
            return rule.users().isEmpty() || username.filter(rule.users()::contains).isPresent();
        }

        /** {@code *} matches any run of characters; everything else is literal. */
        private static Pattern glob(String pattern) {
            StringJoiner regex = new StringJoiner(".*");
            for (String part : pattern.split("\\*", -1)) {
                regex.add(Pattern.quote(part));
            }
            return Pattern.compile(regex.toString(), Pattern.DOTALL);
        }
    }
}
