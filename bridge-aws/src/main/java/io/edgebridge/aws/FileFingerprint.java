package io.edgebridge.aws;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * SHA-256 of the certificate, key and CA files' contents, to notice a rotation. Only the certificate's
 * hash is ever shown (in logs); nothing derived from the key is.
 */
record FileFingerprint(String certificateSha256, String keySha256, String caSha256) {

    /** The CA file counts too: replacing a wrong one must take effect without a restart. */
    static FileFingerprint of(Path certificate, Path privateKey, Optional<Path> ca) throws IOException {
        return new FileFingerprint(sha256(certificate), sha256(privateKey), ca.isPresent() ? sha256(ca.get()) : "");
    }

    /** The first 16 hex digits of the certificate's hash, for logs. */
    String shortCertificate() {
        return certificateSha256.substring(0, 16);
    }

    @Override
    public String toString() {
        return "FileFingerprint[certificate=" + shortCertificate() + "]";
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
