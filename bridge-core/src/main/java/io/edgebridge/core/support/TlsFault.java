package io.edgebridge.core.support;

/**
 * Why a TLS connection to a server failed, as an operator can act on it: which side refused and which
 * file or setting is at fault. The kind is stable across attempts (unlike a TLS library's error
 * codes, which can alternate for one cause), so it keys log limits.
 *
 * @param kind    the class of failure
 * @param message what is wrong, naming the file or setting at fault; never key material
 */
public record TlsFault(Kind kind, String message) {

    public enum Kind {
        /** The server's certificate does not chain to the configured CA file (or the default trust store). */
        CA_UNTRUSTED,
        /** The server's certificate is not valid for the host name connected to. */
        HOSTNAME,
        /** The server's certificate has expired or is not yet valid. */
        SERVER_CERTIFICATE,
        /** The server refused the client certificate (unknown CA, expired, revoked, not registered). */
        CERTIFICATE_REFUSED,
        /** The server wants a client certificate and none is configured. */
        CERTIFICATE_REQUIRED,
        /** Another TLS failure (no common protocol or cipher, a broken handshake). */
        HANDSHAKE
    }
}
