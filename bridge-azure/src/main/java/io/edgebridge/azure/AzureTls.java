package io.edgebridge.azure;

import io.edgebridge.core.support.PemTls;
import java.io.IOException;
import java.security.GeneralSecurityException;
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
        TrustManagerFactory trust = options.ca().isPresent() ? PemTls.trustManagers(options.ca().get()) : null;
        KeyManagerFactory keys = null;
        if (options.x509().isPresent()) {
            AzureIotHubOptions.X509Identity x = options.x509().get();
            keys = PemTls.keyManagers(x.certificate(), x.privateKey(), Optional.empty());
        }
        SSLContext context = SSLContext.getInstance("TLSv1.2");
        context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(),
                null);
        return Optional.of(context);
    }
}
