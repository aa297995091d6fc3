package io.edgebridge.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The TLS files of a broker listener (PEM).
 *
 * @param certificate        the server certificate chain
 * @param privateKey         its private key
 * @param privateKeyPassword password of an encrypted private key
 * @param ca                 CA certificates that client certificates must chain to
 * @param clientAuth         whether clients must present a certificate
 */
public record ListenerTls(Path certificate, Path privateKey, Optional<Secret> privateKeyPassword, Optional<Path> ca,
        ClientAuth clientAuth) {

    public enum ClientAuth { NONE, OPTIONAL, REQUIRED }
}
