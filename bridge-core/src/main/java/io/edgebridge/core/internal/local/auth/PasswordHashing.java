package io.edgebridge.core.internal.local.auth;

import io.edgebridge.config.auth.PasswordHash;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;

/** Checks and makes password hashes compatible with {@code mosquitto_passwd}. */
public final class PasswordHashing {

    /** What mosquitto_passwd 2.0 writes by default: {@code -H sha512-pbkdf2}, 101 iterations, 12-byte salt. */
    public static final int DEFAULT_ITERATIONS = 101;
    public static final int SALT_BYTES = 12;

    private PasswordHashing() {
    }

    /** Whether {@code password} (the CONNECT packet's bytes) matches; the comparison takes constant time. */
    public static boolean verify(PasswordHash expected, byte[] password) {
        return MessageDigest.isEqual(digest(expected.algorithm(), expected.iterations(), expected.salt(), password),
                expected.hash());
    }

    /** A new {@code $7$} hash with a random salt. */
    public static PasswordHash create(byte[] password, SecureRandom random) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        return new PasswordHash(PasswordHash.Algorithm.PBKDF2_SHA512, DEFAULT_ITERATIONS, salt,
                digest(PasswordHash.Algorithm.PBKDF2_SHA512, DEFAULT_ITERATIONS, salt, password));
    }

    private static byte[] digest(PasswordHash.Algorithm algorithm, int iterations, byte[] salt, byte[] password) {
        if (algorithm == PasswordHash.Algorithm.SHA512) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-512");
                sha.update(password);
                sha.update(salt);
                return sha.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-512 is not available", e);
            }
        }
        // Bouncy Castle rather than the JDK's PBKDF2, which takes chars: MQTT passwords are bytes.
        PKCS5S2ParametersGenerator generator = new PKCS5S2ParametersGenerator(new SHA512Digest());
        generator.init(password, salt, iterations);
        return ((KeyParameter) generator.generateDerivedParameters(PasswordHash.HASH_BYTES * 8)).getKey();
    }
}
