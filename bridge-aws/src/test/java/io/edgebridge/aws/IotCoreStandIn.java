package io.edgebridge.aws;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.Publish;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestCertificates;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for AWS IoT Core: embedded HiveMQ CE with a TLS listener that requires a client
 * certificate issued by the test CA (as IoT Core requires a registered device certificate), and a
 * plain listener for the test's cloud-side clients. Its extension publishes to reserved
 * {@code $aws/...} topics, as IoT Core's shadow and jobs services do.
 */
final class IotCoreStandIn implements AutoCloseable {

    private static final String PASSWORD = "stand-in";

    private final Path dir;
    private final Path conf;
    private EmbeddedHiveMQ hivemq;
    private final int tlsPort = Ports.free();
    private final int plainPort = Ports.free();
    private final List<String> clientCertificates = new CopyOnWriteArrayList<>();
    private final List<String[]> reserved = new CopyOnWriteArrayList<>();
    /** Payloads of every publish a client made, across restarts (independent of any subscriber). */
    private final java.util.Map<String, Integer> received = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running;

    /** Trusts client certificates of {@code clientCa}; presents {@code server}. */
    IotCoreStandIn(Path dir, TestCertificates.Issued server, TestCertificates clientCa) throws Exception {
        this.dir = dir;
        this.conf = Files.createDirectories(dir.resolve("conf"));
        Path keystore = conf.resolve("keystore.p12");
        Path truststore = conf.resolve("truststore.p12");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", server.keys().getPrivate(), PASSWORD.toCharArray(),
                new Certificate[] {server.x509()});
        store(keys, keystore);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(clientCa.caCertificate())));
        store(trust, truststore);
        Files.writeString(conf.resolve("config.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <hivemq>
                    <listeners>
                        <tls-tcp-listener>
                            <port>%d</port>
                            <bind-address>127.0.0.1</bind-address>
                            <tls>
                                <keystore>
                                    <path>%s</path>
                                    <password>%s</password>
                                    <private-key-password>%s</private-key-password>
                                </keystore>
                                <truststore>
                                    <path>%s</path>
                                    <password>%s</password>
                                </truststore>
                                <client-authentication-mode>REQUIRED</client-authentication-mode>
                            </tls>
                        </tls-tcp-listener>
                        <tcp-listener>
                            <port>%d</port>
                            <bind-address>127.0.0.1</bind-address>
                        </tcp-listener>
                    </listeners>
                    <mqtt>
                        <queued-messages><max-queue-size>100000</max-queue-size></queued-messages>
                    </mqtt>
                    <persistence><mode>in-memory</mode></persistence>
                    <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
                </hivemq>
                """.formatted(tlsPort, keystore, PASSWORD, PASSWORD, truststore, PASSWORD, plainPort));
    }

    /** A new broker each start: an embedded HiveMQ cannot be started again once stopped. */
    private EmbeddedHiveMQ build() throws Exception {
        return EmbeddedHiveMQ.builder()
                .withConfigurationFolder(conf)
                .withDataFolder(Files.createDirectories(dir.resolve("data")))
                .withExtensionsFolder(Files.createDirectories(dir.resolve("extensions")))
                .withoutLoggingBootstrap()
                .withEmbeddedExtension(EmbeddedExtension.builder().withId("iot-core").withName("IoT Core stand-in")
                        .withVersion("1").withPriority(1).withExtensionMain(new CertificateLog(clientCertificates, reserved, received))
                        .build())
                .build();
    }

    private static void store(KeyStore store, Path file) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD.toCharArray());
        }
    }

    IotCoreStandIn start() throws Exception {
        hivemq = build();
        hivemq.start().get(60, TimeUnit.SECONDS);
        running = true;
        return this;
    }

    void stop() throws Exception {
        running = false;
        try {
            hivemq.stop().get(60, TimeUnit.SECONDS);
        } finally {
            hivemq.close();
            hivemq = null;
        }
    }

    boolean isRunning() {
        return running;
    }

    /** The mutual-TLS port the bridge connects to. */
    int tlsPort() {
        return tlsPort;
    }

    /** A plain port for the test's cloud-side clients. */
    int plainPort() {
        return plainPort;
    }

    /** Publishes as IoT Core itself (any topic, including reserved {@code $aws/...} ones), QoS 1. */
    void publishAsService(String topic, String payload) throws Exception {
        Publish publish = Builders.publish().topic(topic).qos(Qos.AT_LEAST_ONCE)
                .payload(ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8))).build();
        Services.publishService().publish(publish).get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (hivemq != null) {
            stop();
        }
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

        CertificateLog(List<String> subjects, List<String[]> reserved, java.util.Map<String, Integer> received) {
            this.subjects = subjects;
            this.reserved = reserved;
            this.received = received;
        }

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            Services.initializerRegistry().setClientInitializer((in, client) -> {
                in.getConnectionInformation().getClientTlsInformation().flatMap(t -> t.getClientCertificate())
                        .ifPresent(c -> subjects.add(c.getSubjectX500Principal().getName()));
                client.addPublishInboundInterceptor((publishIn, publishOut) -> {
                    String topic = publishIn.getPublishPacket().getTopic();
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
