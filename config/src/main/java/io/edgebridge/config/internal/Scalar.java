package io.edgebridge.config.internal;

import io.edgebridge.config.Location;
import java.util.List;
import java.util.Locale;

/**
 * A scalar value after substitution, with what may be said about it in a message.
 *
 * @param text       the value
 * @param location   where it is written
 * @param references the {@code ${...}} references it was made from
 * @param secretKey  whether its key names a secret (password, token, ...)
 */
public record Scalar(String text, Location location, List<String> references, boolean secretKey) {

    private static final List<String> SECRET_WORDS = List.of("password", "secret", "token", "connectionstring", "sas");

    public Scalar {
        references = List.copyOf(references);
    }

    /**
     * Whether a key's values are secret: its name contains password, secret, token, connectionString
     * or sas, and does not end in {@code File} (a path to a file of secrets).
     */
    public static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        if (k.endsWith("file")) {
            return false; // the path of a file holding secrets (passwordFile) is not itself secret
        }
        return SECRET_WORDS.stream().anyMatch(k::contains);
    }

    /** Whether messages must not include the value. */
    public boolean sensitive() {
        return secretKey || !references.isEmpty();
    }

    /** The value as a message may show it: quoted, or described without revealing it. */
    public String shown() {
        if (secretKey) {
            return "a secret value (not shown)";
        }
        if (!references.isEmpty()) {
            return "the value from " + String.join(" and ", references);
        }
        return "'" + text + "'";
    }
}
