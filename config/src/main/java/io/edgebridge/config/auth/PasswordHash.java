package io.edgebridge.config.auth;

import java.util.Base64;
import java.util.Optional;

/**
 * A salted password hash as {@code mosquitto_passwd} writes it: {@code $7$<iterations>$<salt>$<hash>}
 * (PBKDF2-HMAC-SHA512) or {@code $6$<salt>$<hash>} (SHA-512 of password then salt); salt and hash in
 * base64. {@link #toString()} never shows the salt or hash.
 */
public final class PasswordHash {

    public enum Algorithm { SHA512, PBKDF2_SHA512 }

    /** SHA-512's output length, which both formats store. */
    public static final int HASH_BYTES = 64;
    /** An upper bound that keeps one CONNECT from costing seconds of CPU. */
    public static final int MAX_ITERATIONS = 10_000_000;

    private final Algorithm algorithm;
    private final int iterations;
    private final byte[] salt;
    private final byte[] hash;

    public PasswordHash(Algorithm algorithm, int iterations, byte[] salt, byte[] hash) {
        this.algorithm = algorithm;
        this.iterations = iterations;
        this.salt = salt.clone();
        this.hash = hash.clone();
    }

    /** Parses the part after {@code username:}; empty when it is not one of the two formats. */
    public static Optional<PasswordHash> parse(String text) {
        String[] parts = text.split("\\$", -1);
        try {
            if (parts.length == 4 && parts[0].isEmpty() && parts[1].equals("6")) {
                return valid(new PasswordHash(Algorithm.SHA512, 1, decode(parts[2]), decode(parts[3])));
            }
            if (parts.length == 5 && parts[0].isEmpty() && parts[1].equals("7") && parts[2].matches("[0-9]{1,8}")) {
                int iterations = Integer.parseInt(parts[2]);
                if (iterations < 1 || iterations > MAX_ITERATIONS) {
                    return Optional.empty();
                }
                return valid(new PasswordHash(Algorithm.PBKDF2_SHA512, iterations, decode(parts[3]), decode(parts[4])));
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // not base64
        }
        return Optional.empty();
    }

    private static Optional<PasswordHash> valid(PasswordHash h) {
        return h.salt.length > 0 && h.hash.length == HASH_BYTES ? Optional.of(h) : Optional.empty();
    }

    private static byte[] decode(String base64) {
        return Base64.getDecoder().decode(base64);
    }

    public Algorithm algorithm() {
        return algorithm;
    }

    /** PBKDF2 iterations; 1 for SHA-512. */
    public int iterations() {
        return iterations;
    }

    public byte[] salt() {
        return salt.clone();
    }

    public byte[] hash() {
        return hash.clone();
    }

    /** The text after {@code username:} in the password file. */
    public String format() {
        Base64.Encoder b64 = Base64.getEncoder();
        return algorithm == Algorithm.SHA512
                ? "$6$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash)
                : "$7$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }

    @Override
    public String toString() {
        return algorithm == Algorithm.SHA512 ? "$6$****" : "$7$" + iterations + "$****";
    }
}
