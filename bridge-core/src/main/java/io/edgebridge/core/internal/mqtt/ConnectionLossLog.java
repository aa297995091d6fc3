package io.edgebridge.core.internal.mqtt;

import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.TlsConfig;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.support.TlsFault;
import io.edgebridge.core.support.TlsFaults;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the operator is told when a link's connection is lost or cannot be made: a TLS fault named by
 * the file at fault, otherwise the reason; each bounded by a {@link LogLimit}, since a broker can
 * make the same thing happen on every reconnect.
 */
final class ConnectionLossLog {

    /** The link's log lines keep one logger name, whichever part of it logs (operators filter on it). */
    private static final Logger log = LoggerFactory.getLogger(NettyMqttLink.class);

    private final MqttEndpointConfig endpoint;
    private final String name;
    private final LogLimit tlsFaultLog = new LogLimit();
    private final LogLimit lostLog = new LogLimit();

    ConnectionLossLog(MqttEndpointConfig endpoint, String name) {
        this.endpoint = endpoint;
        this.name = name;
    }

    /**
     * @param wasConnected whether the broker had accepted the connection (else a connect attempt failed)
     * @param attempts     failed attempts before this one since the backoff last started over
     * @param reason       why the connection ended, when the link knows (refused, DISCONNECT, protocol error)
     * @param cause        the failure that ended it, if any
     * @param violation    the protocol error that ended it, if any
     */
    void report(boolean wasConnected, int attempts, long delayMillis, Optional<String> reason, Throwable cause,
            Optional<ProtocolError> violation) {
        String why = reason.orElseGet(() -> describe(cause));
        Optional<TlsFault> tls = endpoint.tls() && cause != null ? TlsFaults.classify(cause, tlsFiles()) : Optional.empty();
        if (tls.isPresent()) {
            // A TLS fault repeats until someone changes a file or the server: one line per kind and interval.
            LogLimit.Pass pass = tlsFaultLog.admit(tls.get().kind().name());
            if (pass.logs()) {
                log.atWarn().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri())
                        .addKeyValue("tlsFault", tls.get().kind()).addKeyValue("attempt", attempts + 1)
                        .log("cannot connect: {}; retrying, next in {} ms{}", tls.get().message(), delayMillis,
                                pass.suffix());
            }
        } else if (wasConnected || attempts == 0) {
            // A broker that drops the link right after each CONNACK (or breaks the protocol on each
            // connection) would repeat this: one line per reason and interval.
            LogLimit.Pass pass = lostLog.admit(why);
            if (pass.logs()) {
                var line = log.atWarn().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri());
                if (violation.isPresent() && violation.get().packetId() != 0) {
                    line = line.addKeyValue("packetId", violation.get().packetId());
                }
                line.log("{} ({}); reconnecting in {} ms{}", wasConnected ? "disconnected" : "cannot connect", why,
                        delayMillis, pass.suffix());
            }
        } else {
            log.atInfo().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri())
                    .log("connect attempt {} failed ({}); next in {} ms", attempts + 1, why, delayMillis);
        }
    }

    private TlsFaults.Files tlsFiles() {
        return new TlsFaults.Files(endpoint.host(), endpoint.tlsFiles().flatMap(TlsConfig::ca),
                endpoint.tlsFiles().flatMap(TlsConfig::certificate));
    }

    static String describe(Throwable cause) {
        if (cause == null) {
            return "connection closed";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
