package io.edgebridge.config;

import java.nio.file.Path;

/**
 * {@code local.embedded.auth}: user names and password hashes from a file in Mosquitto's
 * {@code mosquitto_passwd} format (checked when the configuration is loaded, re-read when it changes).
 *
 * @param passwordFile   the password file
 * @param allowAnonymous whether clients without a user name are accepted (default false)
 * @param clientIds      which client ids an authenticated client may connect with (default any)
 */
public record BrokerAuth(Path passwordFile, boolean allowAnonymous, ClientIds clientIds) {

    /** Any client id: MQTT's default. */
    public BrokerAuth(Path passwordFile, boolean allowAnonymous) {
        this(passwordFile, allowAnonymous, ClientIds.ANY);
    }

    /**
     * Which client ids a user may connect with. MQTT lets a client choose its id, and the broker
     * gives a new connection the session of the id it names (closing the connection that held it),
     * so with {@code ANY} one user can take over another's session and act on permissions bound to
     * {@code <clientId>}.
     */
    public enum ClientIds {
        /** Any client id (MQTT's default). */
        ANY,
        /** The client id must be the user name: a client id then belongs to exactly one user. */
        USERNAME
    }
}
