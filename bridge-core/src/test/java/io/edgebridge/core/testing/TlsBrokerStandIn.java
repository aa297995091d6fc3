package io.edgebridge.core.testing;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The broker under a cloud stand-in (AWS IoT Core, Azure IoT Hub): embedded HiveMQ CE with a TLS
 * listener presenting a test certificate (optionally requiring client certificates of a test CA)
 * and a plain listener on 127.0.0.1 for the test's cloud-side clients, in-memory persistence, and
 * the stand-in's embedded extension. It can be stopped and started again (a new broker each start:
 * an embedded HiveMQ cannot be restarted), which is how the tests make an outage.
 */
public final class TlsBrokerStandIn implements AutoCloseable {

    private static final String PASSWORD = "stand-in";

    private final Path dir;
    private final Path conf;
    private final String id;
    private final Supplier<ExtensionMain> extension;
    private final int plainPort = Ports.free();
    private EmbeddedHiveMQ hivemq;
    private volatile boolean running;

    /**
     * @param server    the certificate the TLS listener presents
     * @param address   the TLS listener's bind address and {@code port}
     * @param clientCa  when present, client certificates issued by this CA are required
     * @param extension the stand-in's behaviour (made anew for each start)
     */
    public TlsBrokerStandIn(Path dir, String id, TestCertificates.Issued server, String address, int port,
            Optional<TestCertificates> clientCa, Supplier<ExtensionMain> extension) throws Exception {
        this.dir = dir;
        this.id = id;
        this.extension = extension;
        this.conf = Files.createDirectories(dir.resolve("conf"));
        Path keystore = conf.resolve("keystore.p12");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", server.keys().getPrivate(), PASSWORD.toCharArray(),
                new Certificate[] {server.x509()});
        store(keys, keystore);
        String clientAuth = "";
        if (clientCa.isPresent()) {
            Path truststore = conf.resolve("truststore.p12");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (var in = Files.newInputStream(clientCa.get().caCertificate())) {
                trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in));
            }
            store(trust, truststore);
            clientAuth = """
                                <truststore>
                                    <path>%s</path>
                                    <password>%s</password>
                                </truststore>
                                <client-authentication-mode>REQUIRED</client-authentication-mode>
                    """.formatted(truststore, PASSWORD);
        }
        Files.writeString(conf.resolve("config.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <hivemq>
                    <listeners>
                        <tls-tcp-listener>
                            <port>%d</port>
                            <bind-address>%s</bind-address>
                            <tls>
                                <keystore>
                                    <path>%s</path>
                                    <password>%s</password>
                                    <private-key-password>%s</private-key-password>
                                </keystore>
                %s            </tls>
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
                """.formatted(port, address, keystore, PASSWORD, PASSWORD, clientAuth, plainPort));
    }

    private static void store(KeyStore store, Path file) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD.toCharArray());
        }
    }

    public synchronized void start() throws Exception {
        hivemq = EmbeddedHiveMQ.builder()
                .withConfigurationFolder(conf)
                .withDataFolder(Files.createDirectories(dir.resolve("data")))
                .withExtensionsFolder(Files.createDirectories(dir.resolve("extensions")))
                .withoutLoggingBootstrap()
                .withEmbeddedExtension(EmbeddedExtension.builder().withId(id).withName(id + " stand-in")
                        .withVersion("1").withPriority(1).withExtensionMain(extension.get()).build())
                .build();
        hivemq.start().get(60, TimeUnit.SECONDS);
        running = true;
    }

    public synchronized void stop() throws Exception {
        running = false;
        try {
            hivemq.stop().get(60, TimeUnit.SECONDS);
        } finally {
            hivemq.close();
            hivemq = null;
        }
    }

    public boolean isRunning() {
        return running;
    }

    /** The plain listener for the test's cloud-side clients. */
    public int plainPort() {
        return plainPort;
    }

    /** Publishes as the cloud service itself (any topic, including reserved {@code $...} ones). */
    public static CompletableFuture<Void> publishAsService(String topic, String payload, Qos qos) {
        return Services.publishService().publish(Builders.publish().topic(topic).qos(qos)
                .payload(ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8))).build());
    }

    @Override
    public synchronized void close() throws Exception {
        if (hivemq != null) {
            stop();
        }
    }
}
