package io.edgebridge.aws;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestCertificates;
import io.edgebridge.core.testing.TlsBrokerStandIn;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for AWS IoT Core: embedded HiveMQ CE with a TLS listener that requires a client
 * certificate issued by the test CA (as IoT Core requires a registered device certificate), and a
 * plain listener for the test's cloud-side clients. Its extension publishes to reserved
 * {@code $aws/...} topics, as IoT Core's shadow and jobs services do.
 */
final class IotCoreStandIn implements AutoCloseable {

    private final TlsBrokerStandIn broker;
    private final int tlsPort = Ports.free();
    private final List<String> clientCertificates = new CopyOnWriteArrayList<>();
    private final List<String[]> reserved = new CopyOnWriteArrayList<>();
    /** Payloads of every publish a client made, across restarts (independent of any subscriber). */
    private final java.util.Map<String, Integer> received = new java.util.concurrent.ConcurrentHashMap<>();
    /** Topic prefixes whose publishes are refused with NOT_AUTHORIZED, as an IoT policy would. */
    private final java.util.Set<String> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Trusts client certificates of {@code clientCa}; presents {@code server}. */
    IotCoreStandIn(Path dir, TestCertificates.Issued server, TestCertificates clientCa) throws Exception {
        this.broker = new TlsBrokerStandIn(dir, "iot-core", server, "127.0.0.1", tlsPort, Optional.of(clientCa),
                () -> new CertificateLog(clientCertificates, reserved, received, refused));
    }

    /**
     * From now on, publishes to topics starting with {@code prefix} are answered NOT_AUTHORIZED (as IoT
     * Core does for a topic the device's policy does not allow), neither delivered nor recorded.
     */
    IotCoreStandIn refuse(String prefix) {
        refused.add(prefix);
        return this;
    }

    IotCoreStandIn start() throws Exception {
        broker.start();
        return this;
    }

    void stop() throws Exception {
        broker.stop();
    }

    boolean isRunning() {
        return broker.isRunning();
    }

    /** The mutual-TLS port the bridge connects to. */
    int tlsPort() {
        return tlsPort;
    }

    /** A plain port for the test's cloud-side clients. */
    int plainPort() {
        return broker.plainPort();
    }

    /** Publishes as IoT Core itself (any topic, including reserved {@code $aws/...} ones), QoS 1. */
    void publishAsService(String topic, String payload) throws Exception {
        TlsBrokerStandIn.publishAsService(topic, payload, Qos.AT_LEAST_ONCE).get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        broker.close();
    }

    /** Subject names of the client certificates of every TLS connection, in order. */
    List<String> clientCertificates() {
        return List.copyOf(clientCertificates);
    }

    /** How often each payload was published to the stand-in by a client (duplicates count), across restarts. */
    java.util.Map<String, Integer> received() {
        return java.util.Map.copyOf(received);
    }

    /** Topic and payload of every publish a client made to a reserved {@code $aws/...} topic, in order. */
    List<String[]> reservedPublishes() {
        return List.copyOf(reserved);
    }

    /**
     * Records each client's certificate subject, and takes the publishes clients make to reserved
     * {@code $aws/...} topics (shadow updates, job updates) as IoT Core's services do: acknowledged
     * and recorded, not delivered (HiveMQ would otherwise disconnect a client publishing to a
     * {@code $} topic). Also makes the publish service available.
     */
    private static final class CertificateLog implements ExtensionMain {
        private final List<String> subjects;
        private final List<String[]> reserved;
        private final java.util.Map<String, Integer> received;
        private final java.util.Set<String> refused;

        CertificateLog(List<String> subjects, List<String[]> reserved, java.util.Map<String, Integer> received,
                java.util.Set<String> refused) {
            this.subjects = subjects;
            this.reserved = reserved;
            this.received = received;
            this.refused = refused;
        }

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            Services.initializerRegistry().setClientInitializer((in, client) -> {
                in.getConnectionInformation().getClientTlsInformation().flatMap(t -> t.getClientCertificate())
                        .ifPresent(c -> subjects.add(c.getSubjectX500Principal().getName()));
                client.addPublishInboundInterceptor((publishIn, publishOut) -> {
                    String topic = publishIn.getPublishPacket().getTopic();
                    if (refused.stream().anyMatch(topic::startsWith)) {
                        publishOut.preventPublishDelivery(AckReasonCode.NOT_AUTHORIZED, "not allowed by the policy");
                        return;
                    }
                    ByteBuffer payload = publishIn.getPublishPacket().getPayload().orElse(ByteBuffer.allocate(0));
                    byte[] bytes = new byte[payload.remaining()];
                    payload.duplicate().get(bytes);
                    String text = new String(bytes, StandardCharsets.UTF_8);
                    received.merge(text, 1, Integer::sum);
                    if (topic.startsWith("$aws/")) {
                        reserved.add(new String[] {topic, text});
                        publishOut.preventPublishDelivery();
                    }
                });
            });
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
            // nothing to release
        }
    }
}
