package io.edgebridge.core.support;

import io.edgebridge.config.tls.TlsFileCheck;
import java.nio.file.Path;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Classifies a TLS failure of the JDK's TLS stack (Netty's {@code SslHandler}, an {@code SSLSocket},
 * an SDK built on either) into a {@link TlsFault} that names the file at fault.
 */
public final class TlsFaults {

    /**
     * The files of one connection, for messages.
     *
     * @param host        the host name connected to
     * @param ca          the CA file; empty for the default trust store
     * @param certificate the client certificate file; empty when none is presented
     */
    public record Files(String host, Optional<Path> ca, Optional<Path> certificate) {
    }

    private static final String ALERT = "Received fatal alert: ";

    private TlsFaults() {
    }

    /** The fault, if {@code error} (or one of its causes) is a TLS failure. */
    public static Optional<TlsFault> classify(Throwable error, Files files) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = error; t != null && chain.size() < 20; t = t.getCause() == t ? null : t.getCause()) {
            chain.add(t);
        }
        // Most specific first: an expired server certificate also fails path validation.
        for (Throwable t : chain) {
            if (t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException) {
                return Optional.of(new TlsFault(TlsFault.Kind.SERVER_CERTIFICATE, "the server's certificate is outside"
                        + " its validity period (" + t.getMessage() + "); the server must renew it, or this machine's"
                        + " clock is wrong"));
            }
        }
        for (Throwable t : chain) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("No subject alternative") || message.contains("No name matching")) {
                return Optional.of(new TlsFault(TlsFault.Kind.HOSTNAME, "the server's certificate is not valid for"
                        + " host '" + files.host() + "' (" + message + "); connect by a name the certificate lists"));
            }
        }
        for (Throwable t : chain) {
            if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException) {
                return Optional.of(untrusted(files));
            }
        }
        String last = null;
        for (Throwable t : chain) {
            if (t instanceof SSLException) {
                String message = String.valueOf(t.getMessage());
                int at = message.indexOf(ALERT);
                if (at >= 0) {
                    return Optional.of(fromAlert(message.substring(at + ALERT.length()).trim()
                            .toLowerCase(Locale.ROOT), files));
                }
                last = last == null ? message : last;
            }
        }
        return last == null ? Optional.empty()
                : Optional.of(new TlsFault(TlsFault.Kind.HANDSHAKE, "TLS handshake failed: " + last));
    }

    static TlsFault untrusted(Files files) {
        String trust = files.ca().map(TlsFileCheck::label).map(l -> "a certificate in " + l + " ('ca')")
                .orElse("the default trust store (no 'ca' is set)");
        return new TlsFault(TlsFault.Kind.CA_UNTRUSTED, "the server's certificate does not chain to " + trust
                + ": set 'ca' to the CA that issued the server's certificate");
    }

    /** A TLS alert the server sent, by the TLS registry's names (the JDK's spelling). */
    static TlsFault fromAlert(String alert, Files files) {
        if (alert.equals("certificate_required") || files.certificate().isEmpty()
                && (alert.equals("handshake_failure") || alert.equals("bad_certificate"))) {
            return new TlsFault(TlsFault.Kind.CERTIFICATE_REQUIRED, "the server requires a client certificate"
                    + (files.certificate().isEmpty() ? " and none is configured: set 'certificate' and 'privateKey'"
                            : " (TLS alert " + alert + ")"));
        }
        String why = switch (alert) {
            case "unknown_ca" -> "it is not issued by a CA the server trusts (or not registered with the server)";
            case "certificate_expired" -> "the server says it has expired";
            case "certificate_revoked" -> "the server says it was revoked";
            case "bad_certificate", "certificate_unknown", "unsupported_certificate" ->
                    "the server does not accept it (not registered, inactive, or not matching its key)";
            case "access_denied" -> "the server denies it access";
            default -> null;
        };
        if (why == null) {
            return new TlsFault(TlsFault.Kind.HANDSHAKE, "the server ended the TLS handshake (TLS alert " + alert + ")");
        }
        return new TlsFault(TlsFault.Kind.CERTIFICATE_REFUSED, "the server refused the client certificate in "
                + TlsFileCheck.label(files.certificate().get()) + ": " + why + " (TLS alert " + alert + ")");
    }
}
