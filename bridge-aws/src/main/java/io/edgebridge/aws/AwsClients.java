package io.edgebridge.aws;

import io.edgebridge.core.api.OutboundMessage;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.crt.io.ExponentialBackoffRetryOptions.JitterMode;
import software.amazon.awssdk.crt.io.SocketOptions;
import software.amazon.awssdk.crt.io.TlsContext;
import software.amazon.awssdk.crt.io.TlsContextOptions;
import software.amazon.awssdk.crt.mqtt5.Mqtt5Client;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions.ClientOfflineQueueBehavior;
import software.amazon.awssdk.crt.mqtt5.Mqtt5ClientOptions.ClientSessionBehavior;
import software.amazon.awssdk.crt.mqtt5.QOS;
import software.amazon.awssdk.crt.mqtt5.packets.ConnectPacket;
import software.amazon.awssdk.crt.mqtt5.packets.PublishPacket;
import software.amazon.awssdk.crt.mqtt5.packets.UserProperty;

/** What the sink hands to aws-crt: a client built from the sink's options, and publish packets. */
final class AwsClients {

    static final String ALPN_MQTT = "x-amzn-mqtt-ca";

    private AwsClients() {
    }

    /**
     * A new, unstarted MQTT 5 client with mutual TLS from the certificate, key and CA files as they
     * are now; {@code events} gets its lifecycle events and messages. The client's offline queue is
     * off: a send while disconnected fails instead of waiting in it.
     *
     * @throws software.amazon.awssdk.crt.CrtRuntimeException when the files cannot be used
     */
    static <E extends Mqtt5ClientOptions.LifecycleEvents & Mqtt5ClientOptions.PublishEvents> Mqtt5Client build(
            AwsIotCoreOptions options, E events) {
        try (TlsContextOptions tlsOptions = TlsContextOptions.createWithMtlsFromPath(
                options.certificate().toString(), options.privateKey().toString())) {
            options.ca().ifPresent(ca -> tlsOptions.overrideDefaultTrustStoreFromPath(null, ca.toString()));
            if (options.port() == 443) {
                tlsOptions.withAlpnList(ALPN_MQTT);
            }
            try (TlsContext tls = new TlsContext(tlsOptions); SocketOptions socket = new SocketOptions()) {
                socket.connectTimeoutMs = (int) options.connectTimeout().toMillis();
                ConnectPacket connect = new ConnectPacket.ConnectPacketBuilder()
                        .withClientId(options.clientId())
                        .withKeepAliveIntervalSeconds(Math.max(1, options.keepAlive().toSeconds()))
                        .withSessionExpiryIntervalSeconds(options.sessionExpiry().toSeconds())
                        .build();
                Mqtt5ClientOptions clientOptions = new Mqtt5ClientOptions.Mqtt5ClientOptionsBuilder(options.endpoint(),
                        (long) options.port())
                        .withTlsContext(tls)
                        .withSocketOptions(socket)
                        .withConnectOptions(connect)
                        .withSessionBehavior(options.sessionExpiry().isZero() ? ClientSessionBehavior.CLEAN
                                : ClientSessionBehavior.REJOIN_ALWAYS)
                        .withOfflineQueueBehavior(ClientOfflineQueueBehavior.FAIL_ALL_ON_DISCONNECT)
                        .withMinReconnectDelayMs(options.reconnect().min().toMillis())
                        .withMaxReconnectDelayMs(options.reconnect().max().toMillis())
                        .withRetryJitterMode(options.reconnect().jitter() == 0 ? JitterMode.None : JitterMode.Full)
                        .withConnackTimeoutMs(options.connectTimeout().toMillis())
                        .withAckTimeoutSeconds(Math.max(1, options.operationTimeout().toSeconds()))
                        .withLifecycleEvents(events)
                        .withPublishEvents(events)
                        .withDisableMetrics(true)
                        .build();
                return new Mqtt5Client(clientOptions);
            }
        }
    }

    /** The PUBLISH for an upstream message: QoS 2 is sent as 1 (IoT Core has no QoS 2), retain only if allowed. */
    static PublishPacket packet(OutboundMessage message, boolean forwardRetain) {
        PublishPacket.PublishPacketBuilder b = new PublishPacket.PublishPacketBuilder()
                .withTopic(message.topic())
                .withPayload(message.payload())
                .withQOS(message.qos() == 0 ? QOS.AT_MOST_ONCE : QOS.AT_LEAST_ONCE)
                .withRetain(forwardRetain && message.retain());
        if (!message.properties().isEmpty()) {
            List<UserProperty> properties = new ArrayList<>(message.properties().size());
            message.properties().forEach((k, v) -> properties.add(new UserProperty(k, v)));
            b.withUserProperties(properties);
        }
        message.contentType().ifPresent(b::withContentType);
        message.sinkOptions().filter(AwsTargetOptions.class::isInstance).map(AwsTargetOptions.class::cast)
                .flatMap(AwsTargetOptions::messageExpiry)
                .ifPresent(expiry -> b.withMessageExpiryIntervalSeconds(expiry.toSeconds()));
        return b.build();
    }
}
