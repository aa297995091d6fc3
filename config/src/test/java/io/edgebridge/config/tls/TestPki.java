package io.edgebridge.config.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throwaway PEM files for the config module's tests (the richer {@code TestCertificates} of bridge-core's
 * test jar is downstream of this module): a CA, and certificates it issues with chosen validity.
 */
public final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

    /** A certificate and its key, as files. */
    public record Pair(Path certificate, Path privateKey) {
    }

    private final Path dir;
    private final KeyPair caKeys;
    private final X500Name caName;
    private final Path caFile;

    public TestPki(Path dir, String caName) {
        try {
            this.dir = Files.createDirectories(dir);
            this.caKeys = keys();
            this.caName = new X500Name("CN=" + caName);
            Instant now = Instant.now();
            X509v3CertificateBuilder b = builder(this.caName, this.caName, caKeys, now.minus(Duration.ofHours(1)),
                    now.plus(Duration.ofDays(2)));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            this.caFile = write(caName + ".ca.pem", pem(sign(b, caKeys)));
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path ca() {
        return caFile;
    }

    /** A certificate valid from an hour ago for two days. */
    public Pair issue(String name) {
        Instant now = Instant.now();
        return issue(name, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(2)));
    }

    public Pair issue(String name, Instant notBefore, Instant notAfter) {
        try {
            KeyPair keys = keys();
            X509v3CertificateBuilder b = builder(caName, new X500Name("CN=" + name), keys, notBefore, notAfter);
            Path cert = write(name + ".crt.pem", pem(sign(b, caKeys)));
            Path key = write(name + ".key.pem", pem(new JcaPKCS8Generator(keys.getPrivate(), null)));
            return new Pair(cert, key);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path write(String file, String text) throws IOException {
        return Files.writeString(dir.resolve(file), text);
    }

    private static KeyPair keys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Instant notBefore,
            Instant notAfter) {
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic());
    }

    private static X509CertificateHolder sign(X509v3CertificateBuilder b, KeyPair signer)
            throws org.bouncycastle.operator.OperatorCreationException {
        return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));
    }

    private static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
