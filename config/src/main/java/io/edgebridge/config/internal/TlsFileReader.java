package io.edgebridge.config.internal;

import io.edgebridge.config.CertificateFiles;
import io.edgebridge.config.Secret;
import io.edgebridge.config.tls.TlsFileCheck;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The TLS file settings of one mapping (a CA file, a certificate with its private key): each file
 * must exist and pass {@link TlsFileCheck}; every finding is recorded at the key of its setting.
 */
final class TlsFileReader {

    private final NodeMap map;
    private final ValueReader values;

    TlsFileReader(NodeMap map, ValueReader values) {
        this.map = map;
        this.values = values;
    }

    /** See {@link io.edgebridge.config.ConfigMap#caFile}. */
    Optional<Path> caFile(String key) {
        Optional<Scalar> value = map.scalar(key);
        Optional<Path> file = value.flatMap(values::existingFile);
        if (file.isEmpty()) {
            return file;
        }
        boolean ok = report(Map.of(TlsFileCheck.Setting.CA, key),
                TlsFileCheck.caFile(file.get(), fileLabel(value.get(), file.get()), Instant.now()));
        return ok ? file : Optional.empty();
    }

    /** See {@link io.edgebridge.config.ConfigMap#certificateAndKey}. */
    Optional<CertificateFiles> certificateAndKey(String certificateKey, String privateKeyKey,
            Optional<Secret> password) {
        Optional<Scalar> certificateValue = map.scalar(certificateKey);
        Optional<Scalar> keyValue = map.scalar(privateKeyKey);
        Optional<Path> certificate = certificateValue.flatMap(values::existingFile);
        Optional<Path> key = keyValue.flatMap(values::existingFile);
        if (certificate.isEmpty() || key.isEmpty()) {
            return Optional.empty();
        }
        boolean ok = report(Map.of(TlsFileCheck.Setting.CERTIFICATE, certificateKey, TlsFileCheck.Setting.PRIVATE_KEY,
                privateKeyKey), TlsFileCheck.certificateAndKey(certificate.get(),
                        fileLabel(certificateValue.get(), certificate.get()), key.get(),
                        fileLabel(keyValue.get(), key.get()), password, Instant.now()));
        return ok ? Optional.of(new CertificateFiles(certificate.get(), key.get())) : Optional.empty();
    }

    /** As {@link TlsFileCheck#label}, unless the path came from a substitution, which messages do not echo. */
    private static String fileLabel(Scalar value, Path file) {
        return value.sensitive() ? "the file named by " + value.shown() : TlsFileCheck.label(file);
    }

    /** Records each finding at the key of its setting; whether there was no error. */
    private boolean report(Map<TlsFileCheck.Setting, String> keys, List<TlsFileCheck.Finding> findings) {
        boolean ok = true;
        for (TlsFileCheck.Finding finding : findings) {
            String key = keys.get(finding.setting());
            if (finding.error()) {
                map.problem(key, finding.message());
                ok = false;
            } else {
                map.warning(key, finding.message());
            }
        }
        return ok;
    }
}
