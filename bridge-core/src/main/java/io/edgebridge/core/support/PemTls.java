package io.edgebridge.core.support;

import io.edgebridge.config.Secret;
import io.edgebridge.config.TlsConfig;
import io.edgebridge.config.tls.PemFiles;
import io.edgebridge.config.tls.TlsFileCheck;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/** Trust and key managers from PEM files (CA bundle, client certificate chain, private key). */
public final class PemTls {

    private PemTls() {
    }

    /** Trust only the certificates in the CA file, or the JVM's defaults when there is none. */
    public static Optional<TrustManagerFactory> trustManagers(TlsConfig tls) throws GeneralSecurityException, IOException {
        return tls.ca().isEmpty() ? Optional.empty() : Optional.of(trustManagers(tls.ca().get()));
    }

    /** Trust only the certificates in {@code ca}. */
    public static TrustManagerFactory trustManagers(Path ca) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate cert : readCertificates(ca)) {
            store.setCertificateEntry("ca-" + i++, cert);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        return tmf;
    }

    /** The client certificate and key, when both are configured. */
    public static Optional<KeyManagerFactory> keyManagers(TlsConfig tls) throws GeneralSecurityException, IOException {
        if (tls.certificate().isEmpty() || tls.privateKey().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(keyManagers(tls.certificate().get(), tls.privateKey().get(), tls.privateKeyPassword()));
    }

    /** A certificate chain and its key, presented as the client's (or server's) identity. */
    public static KeyManagerFactory keyManagers(Path certificate, Path privateKey, Optional<Secret> password)
            throws GeneralSecurityException, IOException {
        Collection<Certificate> chain = readCertificates(certificate);
        PrivateKey key = readPrivateKey(privateKey, password);
        char[] storePassword = new char[0];
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", key, storePassword, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, storePassword);
        return kmf;
    }

    /** The certificates of a PEM file; at least one (the message names the file otherwise). */
    public static Collection<Certificate> readCertificates(Path file) throws GeneralSecurityException {
        return new ArrayList<>(PemFiles.certificates(file, TlsFileCheck.label(file)));
    }

    public static PrivateKey readPrivateKey(Path file, Optional<Secret> password) throws GeneralSecurityException {
        return PemFiles.privateKey(file, TlsFileCheck.label(file), password);
    }
}
