package io.edgebridge.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * TLS files (PEM). Without {@code ca} the JVM's default trust store is used. A client certificate
 * needs both {@code certificate} and {@code privateKey}.
 */
public record TlsConfig(
        Optional<Path> ca,
        Optional<Path> certificate,
        Optional<Path> privateKey,
        Optional<Secret> privateKeyPassword,
        boolean verifyHostname) {
}
