package io.edgebridge.core.support;

import io.edgebridge.core.support.PemTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * One TLS handshake with the JDK, to tell what a TLS library that only says "negotiation failed" cannot
 * (aws-crt's s2n reports a certificate it does not trust only after a 10–30 s "blinding" delay, and
 * an unknown client certificate as one of two alternating generic codes). It presents the client
 * certificate and trusts the CA file exactly as the sink is configured to, and sends nothing after the
 * handshake (no MQTT CONNECT).
 *
 * <p>Blocking: call it from a thread that may block (the sink's own).
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
                    ? new KeyManager[] {new AlwaysPresent((X509ExtendedKeyManager) PemTls.keyManagers(
                            target.certificate().get(), target.privateKey().get(), Optional.empty()).getKeyManagers()[0])}
                    : null;
            context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
        } catch (GeneralSecurityException | IOException e) {
            // The files were checked at load; one changed since then is reported by the file check.
            return new Inconclusive("cannot read the TLS files: " + e.getMessage());
        }
        Outcome tls13 = handshake(context, target, files, "TLSv1.3", timeout);
        if (tls13 instanceof Inconclusive) {
            return handshake(context, target, files, "TLSv1.2", timeout); // a server without TLS 1.3
        }
        return tls13;
    }

    /**
     * With TLS 1.3 the server judges the client certificate after the client's Finished: its refusal is
     * an alert on the first read, which comes at once (an accepted client gets nothing: the server waits
     * for MQTT's CONNECT), so the read waits a little longer than the handshake took. With TLS 1.2 the
     * refusal ends the handshake, though the JDK may be writing its last flight then and see a broken pipe
     * instead of the alert: inconclusive.
     */
    private static Outcome handshake(SSLContext context, TlsProbe.Target target, TlsFaults.Files files,
            String protocol, Duration timeout) {
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress(target.host(), target.port()), millis);
            socket.setSoTimeout(millis);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setProtocols(new String[] {protocol});
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (!target.host().isEmpty() && !Character.isDigit(target.host().charAt(0)) && !target.host().contains(":")) {
                parameters.setServerNames(List.of(new SNIHostName(target.host())));
            }
            if (!target.alpn().isEmpty()) {
                parameters.setApplicationProtocols(target.alpn().toArray(new String[0]));
            }
            socket.setSSLParameters(parameters);
            long start = System.nanoTime();
            socket.startHandshake();
            if (protocol.equals("TLSv1.3")) {
                long took = (System.nanoTime() - start) / 1_000_000;
                socket.setSoTimeout((int) Math.min(millis, Math.max(250, 2 * took)));
                try {
                    if (socket.getInputStream().read() < 0) {
                        return new Inconclusive("the server closed the connection after the handshake");
                    }
                } catch (SocketTimeoutException quiet) {
                    return new Accepted();
                }
            }
            return new Accepted();
        } catch (SSLException e) {
            Optional<TlsFault> fault = TlsFaults.classify(e, files);
            if (fault.isEmpty() || fault.get().kind() == TlsFault.Kind.HANDSHAKE) {
                // e.g. protocol_version from a server without this protocol: the sink's own library may do better
                return new Inconclusive(e.getMessage());
            }
            return new Refused(fault.get());
        } catch (IOException | RuntimeException e) {
            return new Inconclusive(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * Presents the configured certificate whatever CAs the server lists, as aws-crt and OpenSSL clients do.
     * The JDK would otherwise send none when the issuer is not in the list, and the server's answer
     * would be "no certificate" rather than what it thinks of this one.
     */
    private static final class AlwaysPresent extends X509ExtendedKeyManager {

        private final X509ExtendedKeyManager keys;

        AlwaysPresent(X509ExtendedKeyManager keys) {
            this.keys = keys;
        }

        private String only(String keyType) {
            String[] aliases = keys.getClientAliases(keyType, null);
            return aliases == null || aliases.length == 0 ? null : aliases[0];
        }

        private String any(String[] keyTypes) {
            for (String type : keyTypes) {
                String alias = only(type);
                if (alias != null) {
                    return alias;
                }
            }
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return any(keyType);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return any(keyType);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return keys.getClientAliases(keyType, null);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return keys.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return keys.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return keys.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return keys.getPrivateKey(alias);
        }
    }
}
