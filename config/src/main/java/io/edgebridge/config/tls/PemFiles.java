package io.edgebridge.config.tls;

import io.edgebridge.config.Secret;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads PEM files: certificate chains and private keys (PKCS#8, PKCS#1 RSA, SEC1 EC, encrypted with a
 * password). The same reader serves the config loader and the sinks, so {@code validate} and
 * {@code run} refuse the same files with the same words. Messages name the file (as {@code label}
 * says) and what is wrong, never key material.
 */
public final class PemFiles {

    private PemFiles() {
    }

    /** The certificates of {@code file} in file order; at least one. */
    public static List<X509Certificate> certificates(Path file, String label) throws PemException {
        List<Object> items = items(file, label);
        List<X509Certificate> certificates = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        boolean key = false;
        for (Object item : items) {
            if (item instanceof X509CertificateHolder holder) {
                try {
                    certificates.add(converter.getCertificate(holder));
                } catch (CertificateException e) {
                    throw new PemException(label + " holds a certificate that cannot be read ("
                            + e.getClass().getSimpleName() + ")", e);
                }
            } else if (isKey(item)) {
                key = true;
            }
        }
        if (certificates.isEmpty()) {
            throw new PemException(label + (key ? " holds a private key, not a certificate (are 'certificate' and"
                    + " 'privateKey' swapped?)" : " holds no certificate (expected a PEM block -----BEGIN CERTIFICATE-----)"));
        }
        return certificates;
    }

    /** The first private key of {@code file}, decrypted with {@code password} if it is encrypted. */
    public static PrivateKey privateKey(Path file, String label, Optional<Secret> password) throws PemException {
        List<Object> items = items(file, label);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        boolean certificate = false;
        for (Object item : items) {
            try {
                if (item instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (item instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (item instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                    return converter.getPrivateKey(encrypted.decryptPrivateKeyInfo(
                            new JceOpenSSLPKCS8DecryptorProviderBuilder().build(password(label, password))));
                }
                if (item instanceof PEMEncryptedKeyPair encrypted) {
                    return converter.getKeyPair(encrypted.decryptKeyPair(
                            new JcePEMDecryptorProviderBuilder().build(password(label, password)))).getPrivate();
                }
            } catch (PemException e) {
                throw e;
            } catch (Exception e) {
                // The library's message can quote key bytes: only its type is shown.
                throw new PemException(label + " holds a private key that cannot be read ("
                        + e.getClass().getSimpleName() + (password.isPresent() ? "; is the password right?" : "") + ")",
                        e);
            }
            certificate |= item instanceof X509CertificateHolder;
        }
        throw new PemException(label + (certificate ? " holds a certificate, not a private key (are 'certificate'"
                + " and 'privateKey' swapped?)" : " holds no private key (expected a PEM block such as -----BEGIN"
                + " PRIVATE KEY-----)"));
    }

    private static boolean isKey(Object item) {
        return item instanceof PrivateKeyInfo || item instanceof PEMKeyPair || item instanceof PKCS8EncryptedPrivateKeyInfo
                || item instanceof PEMEncryptedKeyPair;
    }

    private static char[] password(String label, Optional<Secret> password) throws PemException {
        return password.map(p -> p.reveal().toCharArray()).orElseThrow(() -> new PemException(
                "the private key in " + label + " is encrypted; set its password (privateKeyPassword)"));
    }

    /** Every PEM object of the file; a block that does not parse is a problem of the whole file. */
    private static List<Object> items(Path file, String label) throws PemException {
        List<Object> items = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
                PEMParser parser = new PEMParser(reader)) {
            Object item;
            while ((item = parser.readObject()) != null) {
                items.add(item);
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new PemException(label + " is not a PEM text file (a binary DER file? convert it to PEM, e.g. with"
                    + " openssl x509 -inform der)", e);
        } catch (IOException | RuntimeException e) {
            // PEMParser's messages describe the structure ("malformed PEM data", "unknown tag"), never its bytes.
            String why = e.getMessage() == null || e.getMessage().length() > 120 ? e.getClass().getSimpleName()
                    : e.getMessage();
            throw new PemException(label + " is not a valid PEM file (" + why + ")", e);
        }
        return items;
    }
}
