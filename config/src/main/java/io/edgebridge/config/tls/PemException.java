package io.edgebridge.config.tls;

import java.security.GeneralSecurityException;

/** A PEM file that cannot be used; the message names the file and what is wrong, never key material. */
public final class PemException extends GeneralSecurityException {

    public PemException(String message) {
        super(message);
    }

    public PemException(String message, Throwable cause) {
        super(message, cause);
    }
}
