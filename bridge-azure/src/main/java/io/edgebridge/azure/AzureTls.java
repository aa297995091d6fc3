package io.edgebridge.azure;

import io.edgebridge.core.internal.mqtt.PemTls;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The SSL context handed to the SDK ({@code ClientOptions.sslContext}): {@code ca} and the X.509 identity. */
final class AzureTls {

    private AzureTls() {
    }

    /** Empty when neither {@code ca} nor {@code x509} is configured (the SDK's defaults apply). */
    static Optional<SSLContext> context(AzureIotHubOptions options) throws GeneralSecurityException, IOException {
        if (options.ca().isEmpty() && options.x509().isEmpty()) {
            return Optional.empty();
        }
        TrustManagerFactory trust = null;
        if (options.ca().isPresent()) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate cert : PemTls.readCertificates(options.ca().get())) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            if (i == 0) {
                throw new GeneralSecurityException("no certificate found in CA file " + options.ca().get());
            }
            trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
        }
        KeyManagerFactory keys = null;
        if (options.x509().isPresent()) {
            AzureIotHubOptions.X509Identity x = options.x509().get();
            Collection<Certificate> chain = PemTls.readCertificates(x.certificate());
            if (chain.isEmpty()) {
                throw new GeneralSecurityException("no certificate found in " + x.certificate());
            }
            PrivateKey key = PemTls.readPrivateKey(x.privateKey(), Optional.empty());
            char[] none = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("device", key, none, chain.toArray(new Certificate[0]));
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, none);
        }
        SSLContext context = SSLContext.getInstance("TLSv1.2");
        context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(),
                null);
        return Optional.of(context);
    }
}
