package io.edgebridge.config;

import io.edgebridge.config.auth.PermissionFilter;
import java.util.List;

/**
 * One {@code local.embedded.permissions[]} rule. It applies to a client when {@code clients} is
 * empty or one of its patterns matches the client id, and {@code users} is empty or names the
 * client's user.
 *
 * @param clients   client id patterns; {@code *} matches any run of characters
 * @param users     user names
 * @param publish   filters of the topics the client may publish to
 * @param subscribe filters the client may subscribe within
 */
public record PermissionRule(List<String> clients, List<String> users, List<PermissionFilter> publish,
        List<PermissionFilter> subscribe) {

    public PermissionRule {
        clients = List.copyOf(clients);
        users = List.copyOf(users);
        publish = List.copyOf(publish);
        subscribe = List.copyOf(subscribe);
    }
}
