package io.edgebridge.config;

import java.nio.file.Path;

/**
 * {@code local.embedded.auth}: user names and password hashes from a file in Mosquitto's
 * {@code mosquitto_passwd} format (checked when the configuration is loaded, re-read when it changes).
 *
 * @param passwordFile   the password file
 * @param allowAnonymous whether clients without a user name are accepted (default false)
 */
public record BrokerAuth(Path passwordFile, boolean allowAnonymous) {
}
