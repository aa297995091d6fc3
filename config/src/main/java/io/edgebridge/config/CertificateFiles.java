package io.edgebridge.config;

import java.nio.file.Path;

/** A certificate chain file and its private key file (PEM), checked together by the config loader. */
public record CertificateFiles(Path certificate, Path privateKey) {
}
