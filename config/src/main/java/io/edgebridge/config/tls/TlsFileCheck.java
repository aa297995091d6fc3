package io.edgebridge.config.tls;

import io.edgebridge.config.Secret;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What can be known about TLS files without a server: that each parses, that the private key belongs to
 * the certificate, that the certificate is within its validity period, and that a CA file holds a CA
 * certificate. The config loader reports the findings at the keys that name the files; a sink that
 * reads the files again (after a certificate rotation) logs the same findings.
 *
 * <p>A certificate that is not valid yet is a warning, not an error: an edge device without a
 * battery-backed clock starts with a clock in the past until NTP sets it, and the server checks the
 * certificate against its own clock.
 */
public final class TlsFileCheck {

    /** Which setting a finding is about. */
    public enum Setting { CA, CERTIFICATE, PRIVATE_KEY }

    /** One thing wrong with a file; {@code error} false for a warning. */
    public record Finding(Setting setting, boolean error, String message) {
    }

    private TlsFileCheck() {
    }

    /** How a file is named in a finding when its path may be shown. */
    public static String label(Path file) {
        return "file '" + file + "'";
    }

    /** Checks a file of trusted CA certificates: it parses and holds a CA certificate that has not expired. */
    public static List<Finding> caFile(Path ca, String label, Instant now) {
        List<X509Certificate> certificates;
        try {
            certificates = PemFiles.certificates(ca, label);
        } catch (PemException e) {
            return List.of(new Finding(Setting.CA, true, e.getMessage()));
        }
        List<X509Certificate> authorities = certificates.stream().filter(TlsFileCheck::canIssue).toList();
        if (authorities.isEmpty()) {
            X509Certificate first = certificates.get(0);
            return List.of(new Finding(Setting.CA, true, label + " holds no CA certificate: '" + subject(first)
                    + "' is an end-entity certificate issued by '" + issuer(first) + "'; give the certificate of the CA"
                    + " that issued the server's certificate (for AWS IoT Core, AmazonRootCA1.pem)"));
        }
        if (authorities.stream().allMatch(c -> now.isAfter(c.getNotAfter().toInstant()))) {
            X509Certificate latest = authorities.stream()
                    .max((a, b) -> a.getNotAfter().compareTo(b.getNotAfter())).orElseThrow();
            return List.of(new Finding(Setting.CA, true, label + ": every CA certificate in it has expired ('"
                    + subject(latest) + "' on " + day(latest.getNotAfter().toInstant()) + ")"));
        }
        return List.of();
    }

    /**
     * Checks a certificate chain file and its private key file: both parse, the key belongs to the
     * first certificate, and that certificate is within its validity period.
     */
    public static List<Finding> certificateAndKey(Path certificate, String certificateLabel, Path privateKey,
            String keyLabel, Optional<Secret> password, Instant now) {
        List<Finding> findings = new ArrayList<>();
        X509Certificate leaf = null;
        try {
            leaf = PemFiles.certificates(certificate, certificateLabel).get(0);
        } catch (PemException e) {
            findings.add(new Finding(Setting.CERTIFICATE, true, e.getMessage()));
        }
        PrivateKey key = null;
        try {
            key = PemFiles.privateKey(privateKey, keyLabel, password);
        } catch (PemException e) {
            findings.add(new Finding(Setting.PRIVATE_KEY, true, e.getMessage()));
        }
        if (leaf != null) {
            validity(leaf, certificateLabel, now).ifPresent(findings::add);
        }
        if (leaf != null && key != null && !belongTogether(key, leaf.getPublicKey())) {
            findings.add(new Finding(Setting.PRIVATE_KEY, true, "the private key in " + keyLabel
                    + " does not belong to the certificate '" + subject(leaf) + "' in " + certificateLabel
                    + " (was only one of the two files replaced?)"));
        }
        return findings;
    }

    private static Optional<Finding> validity(X509Certificate c, String label, Instant now) {
        Instant notAfter = c.getNotAfter().toInstant();
        Instant notBefore = c.getNotBefore().toInstant();
        if (now.isAfter(notAfter)) {
            return Optional.of(new Finding(Setting.CERTIFICATE, true, "the certificate '" + subject(c) + "' in " + label
                    + " expired on " + day(notAfter) + "; the server will refuse it: install a renewed certificate"));
        }
        if (now.isBefore(notBefore)) {
            return Optional.of(new Finding(Setting.CERTIFICATE, false, "the certificate '" + subject(c) + "' in "
                    + label + " is not valid until " + day(notBefore) + " (this machine's clock says " + day(now)
                    + "); if the clock is right, the server will refuse it until then"));
        }
        return Optional.empty();
    }

    /** A CA certificate (basic constraints CA), or a self-signed one, which a trust store takes as an anchor. */
    private static boolean canIssue(X509Certificate c) {
        if (c.getBasicConstraints() >= 0) {
            return true;
        }
        if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
            return false;
        }
        try {
            c.verify(c.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code key} signs what {@code publicKey} verifies: the one test that works for every key type. */
    static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
        String algorithm = key.getAlgorithm().toUpperCase(Locale.ROOT);
        String certificateAlgorithm = publicKey.getAlgorithm().toUpperCase(Locale.ROOT);
        String signature = switch (algorithm) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "ED25519", "ED448", "EDDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (signature == null) {
            return true; // a type this check does not know: the TLS library will tell
        }
        if (!sameFamily(algorithm, certificateAlgorithm)) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(signature);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signed = signer.sign();
            Signature verifier = Signature.getInstance(signature);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signed);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static boolean sameFamily(String a, String b) {
        return family(a).equals(family(b));
    }

    private static String family(String algorithm) {
        return switch (algorithm) {
            case "EC", "ECDSA" -> "EC";
            case "ED25519", "ED448", "EDDSA" -> "EDDSA";
            default -> algorithm;
        };
    }

    private static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    private static String issuer(X509Certificate c) {
        return c.getIssuerX500Principal().getName();
    }

    private static String day(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
