package io.edgebridge.core.support;

import io.edgebridge.core.internal.mqtt.PemTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * One TLS handshake with the JDK, to tell what a TLS library that only says "negotiation failed" cannot
 * (aws-crt's s2n reports a certificate it does not trust only after a 10–30 s "blinding" delay, and
 * an unknown client certificate as one of two alternating generic codes). It presents the client
 * certificate and trusts the CA file exactly as the sink is configured to, and sends nothing after the
 * handshake (no MQTT CONNECT).
 *
 * <p>TLS 1.2 only: there the server checks the client certificate before the handshake ends, so a
 * refusal is part of the handshake's answer (with TLS 1.3 it arrives after, on the first read).
 * Blocking: call it from a thread that may block (the sink's own).
 */
public final class TlsProbe {

    /** What the handshake showed. */
    public sealed interface Outcome permits Accepted, Refused, Inconclusive {
    }

    /** The server accepted the client certificate and this side trusts the server. */
    public record Accepted() implements Outcome {
    }

    /** A TLS fault, named. */
    public record Refused(TlsFault fault) implements Outcome {
    }

    /** Nothing to say about TLS: unreachable, timed out, or the server speaks no TLS 1.2. */
    public record Inconclusive(String why) implements Outcome {
    }

    /**
     * @param host        the server
     * @param alpn        application protocols to offer (AWS IoT Core wants one on port 443)
     * @param ca          the CA file, or empty for the JVM's default trust store
     * @param certificate the client certificate chain and key files, if one is presented
     */
    public record Target(String host, int port, List<String> alpn, Optional<Path> ca,
            Optional<Path> certificate, Optional<Path> privateKey) {
    }

    private TlsProbe() {
    }

    public static Outcome probe(Target target, Duration timeout) {
        TlsFaults.Files files = new TlsFaults.Files(target.host(), target.ca(), target.certificate());
        SSLContext context;
        try {
            TrustManager[] trust = target.ca().isPresent()
                    ? PemTls.trustManagers(target.ca().get()).getTrustManagers() : null;
            KeyManager[] keys = target.certificate().isPresent() && target.privateKey().isPresent()
                    ? PemTls.keyManagers(target.certificate().get(), target.privateKey().get(), Optional.empty())
                            .getKeyManagers() : null;
            context = SSLContext.getInstance("TLSv1.2");
            context.init(keys, trust, null);
        } catch (GeneralSecurityException | IOException e) {
            // The files were checked at load; one changed since then is reported by the file check.
            return new Inconclusive("cannot read the TLS files: " + e.getMessage());
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(target.host(), target.port()), millis);
            socket.setSoTimeout(millis);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.2"});
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (!target.host().isEmpty() && !Character.isDigit(target.host().charAt(0)) && !target.host().contains(":")) {
                parameters.setServerNames(List.of(new SNIHostName(target.host())));
            }
            if (!target.alpn().isEmpty()) {
                parameters.setApplicationProtocols(target.alpn().toArray(new String[0]));
            }
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            return new Accepted();
        } catch (SSLException e) {
            Optional<TlsFault> fault = TlsFaults.classify(e, files);
            if (fault.isEmpty() || fault.get().kind() == TlsFault.Kind.HANDSHAKE) {
                // e.g. protocol_version from a TLS 1.3-only server: the sink's own library may still succeed
                return new Inconclusive(e.getMessage());
            }
            return new Refused(fault.get());
        } catch (IOException | RuntimeException e) {
            return new Inconclusive(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
