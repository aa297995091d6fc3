package io.edgebridge.core.internal.local;

import io.edgebridge.config.ListenerTls;
import io.edgebridge.core.support.PemTls;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.Collection;
import java.util.Optional;

/**
 * HiveMQ's TLS listener reads PKCS12 stores, EdgeBridge's configuration names PEM files: converted
 * at each start into the broker's conf directory, readable by the owner only, with a random password
 * that is written nowhere but HiveMQ's (owner-only) config.xml.
 */
final class ListenerStores {

    /**
     * @param keystore   the server certificate and key
     * @param truststore the CA certificates for client certificates, if any
     * @param password   the password of both stores and of the key entry
     */
    record Stores(Path keystore, Optional<Path> truststore, String password) {

        @Override
        public String toString() {
            return "Stores[" + keystore + ", " + truststore + "]";
        }
    }

    private ListenerStores() {
    }

    static Stores write(ListenerTls tls, Path confDir, String name, SecureRandom random)
            throws IOException, GeneralSecurityException {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        char[] pw = password.toCharArray();

        Collection<Certificate> chain = PemTls.readCertificates(tls.certificate());
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no certificate found in " + tls.certificate());
        }
        PrivateKey key = PemTls.readPrivateKey(tls.privateKey(), tls.privateKeyPassword());
        KeyStore keystore = KeyStore.getInstance("PKCS12");
        keystore.load(null, null);
        keystore.setKeyEntry("server", key, pw, chain.toArray(new Certificate[0]));
        Path keystoreFile = confDir.resolve(name + "-keystore.p12");
        store(keystore, keystoreFile, pw);

        Optional<Path> truststoreFile = Optional.empty();
        if (tls.ca().isPresent()) {
            KeyStore truststore = KeyStore.getInstance("PKCS12");
            truststore.load(null, null);
            int i = 0;
            for (Certificate cert : PemTls.readCertificates(tls.ca().get())) {
                truststore.setCertificateEntry("ca-" + i++, cert);
            }
            if (i == 0) {
                throw new GeneralSecurityException("no certificate found in CA file " + tls.ca().get());
            }
            truststoreFile = Optional.of(confDir.resolve(name + "-truststore.p12"));
            store(truststore, truststoreFile.get(), pw);
        }
        return new Stores(keystoreFile, truststoreFile, password);
    }

    private static void store(KeyStore store, Path file, char[] password) throws IOException, GeneralSecurityException {
        try (OutputStream out = ownerOnly(file)) {
            store.store(out, password);
        }
    }

    /** A new file only its owner may read (where the file system knows POSIX permissions). */
    static OutputStream ownerOnly(Path file) throws IOException {
        Files.deleteIfExists(file);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        return Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }
}
