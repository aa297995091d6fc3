package io.edgebridge.core.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Throwaway CA, server and client certificates (PEM files) for TLS tests. */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A certificate and its private key, as PEM files. */
    public record Issued(Path certificate, Path privateKey, X509Certificate x509, KeyPair keys) {
    }

    private final Path dir;
    private final Issued ca;

    private TestCertificates(Path dir, Issued ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** A new CA named {@code name} writing its files to {@code dir}. */
    public static TestCertificates newCa(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            KeyPair keys = keyPair();
            X500Name subject = new X500Name("CN=" + name);
            X509v3CertificateBuilder builder = builder(subject, subject, keys);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            X509Certificate cert = sign(builder, keys);
            return new TestCertificates(dir, write(dir, name, cert, keys));
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path caCertificate() {
        return ca.certificate();
    }

    /** A server certificate valid for 127.0.0.1 and localhost. */
    public Issued server(String name) {
        return issue(name, true);
    }

    /** A server certificate valid for the given IP addresses and DNS names (only). */
    public Issued server(String name, String... addressesAndNames) {
        GeneralName[] names = new GeneralName[addressesAndNames.length];
        for (int i = 0; i < names.length; i++) {
            String n = addressesAndNames[i];
            names[i] = new GeneralName(n.matches("[0-9.]+|.*:.*") ? GeneralName.iPAddress : GeneralName.dNSName, n);
        }
        return issue(name, names);
    }

    public Issued client(String name) {
        return issue(name, false);
    }

    /** A client certificate valid only from {@code notBefore} to {@code notAfter} (expired or not yet valid). */
    public Issued client(String name, Instant notBefore, Instant notAfter) {
        return issue(name, null, notBefore, notAfter);
    }

    private Issued issue(String name, boolean server) {
        return issue(name, server ? new GeneralName[] {new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")} : null);
    }

    private Issued issue(String name, GeneralName[] subjectAlternativeNames) {
        Instant now = Instant.now();
        return issue(name, subjectAlternativeNames, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(2)));
    }

    private Issued issue(String name, GeneralName[] subjectAlternativeNames, Instant notBefore, Instant notAfter) {
        try {
            KeyPair keys = keyPair();
            X509v3CertificateBuilder builder = builder(new X500Name(ca.x509().getSubjectX500Principal().getName()),
                    new X500Name("CN=" + name), keys, notBefore, notAfter);
            if (subjectAlternativeNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(subjectAlternativeNames));
            }
            return write(dir, name, sign(builder, ca.keys()), keys);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return builder(issuer, subject, keys, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(2)));
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Instant notBefore,
            Instant notAfter) {
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    private static Issued write(Path dir, String name, X509Certificate cert, KeyPair keys) throws IOException {
        Path certFile = dir.resolve(name + ".crt.pem");
        Path keyFile = dir.resolve(name + ".key.pem");
        Files.writeString(certFile, pem(cert));
        Files.writeString(keyFile, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), null)));
        return new Issued(certFile, keyFile, cert, keys);
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
