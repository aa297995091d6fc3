package io.edgebridge.core.internal.mqtt;

import io.edgebridge.config.Secret;
import io.edgebridge.config.TlsConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/** Trust and key managers from PEM files (CA bundle, client certificate chain, private key). */
public final class PemTls {

    private PemTls() {
    }

    /** Trust only the certificates in the CA file, or the JVM's defaults when there is none. */
    public static Optional<TrustManagerFactory> trustManagers(TlsConfig tls) throws GeneralSecurityException, IOException {
        if (tls.ca().isEmpty()) {
            return Optional.empty();
        }
        Path ca = tls.ca().get();
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate cert : readCertificates(ca)) {
            store.setCertificateEntry("ca-" + i++, cert);
        }
        if (i == 0) {
            throw new GeneralSecurityException("no certificate found in CA file " + ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        return Optional.of(tmf);
    }

    /** The client certificate and key, when both are configured. */
    public static Optional<KeyManagerFactory> keyManagers(TlsConfig tls) throws GeneralSecurityException, IOException {
        if (tls.certificate().isEmpty() || tls.privateKey().isEmpty()) {
            return Optional.empty();
        }
        Collection<Certificate> chain = readCertificates(tls.certificate().get());
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no certificate found in " + tls.certificate().get());
        }
        PrivateKey key = readPrivateKey(tls.privateKey().get(), tls.privateKeyPassword());
        char[] storePassword = new char[0];
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", key, storePassword, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, storePassword);
        return Optional.of(kmf);
    }

    public static Collection<Certificate> readCertificates(Path file) throws GeneralSecurityException, IOException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (var in = Files.newInputStream(file)) {
            return new ArrayList<>(cf.generateCertificates(in));
        }
    }

    public static PrivateKey readPrivateKey(Path file, Optional<Secret> password) throws GeneralSecurityException, IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
                PEMParser parser = new PEMParser(reader)) {
            Object item;
            while ((item = parser.readObject()) != null) {
                try {
                    if (item instanceof PrivateKeyInfo info) {
                        return converter.getPrivateKey(info);
                    }
                    if (item instanceof PEMKeyPair pair) {
                        return converter.getKeyPair(pair).getPrivate();
                    }
                    if (item instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                        char[] pw = requirePassword(file, password);
                        return converter.getPrivateKey(encrypted.decryptPrivateKeyInfo(
                                new JceOpenSSLPKCS8DecryptorProviderBuilder().build(pw)));
                    }
                    if (item instanceof PEMEncryptedKeyPair encrypted) {
                        char[] pw = requirePassword(file, password);
                        return converter.getKeyPair(encrypted.decryptKeyPair(
                                new JcePEMDecryptorProviderBuilder().build(pw))).getPrivate();
                    }
                } catch (GeneralSecurityException e) {
                    throw e;
                } catch (Exception e) {
                    // Never include key material; the library's message names the failing step only.
                    throw new GeneralSecurityException("cannot read the private key in " + file + ": "
                            + e.getClass().getSimpleName(), e);
                }
            }
        }
        throw new GeneralSecurityException("no private key found in " + file);
    }

    private static char[] requirePassword(Path file, Optional<Secret> password) throws GeneralSecurityException {
        return password.map(p -> p.reveal().toCharArray())
                .orElseThrow(() -> new GeneralSecurityException(
                        "the private key in " + file + " is encrypted; set tls.privateKeyPassword"));
    }
}
