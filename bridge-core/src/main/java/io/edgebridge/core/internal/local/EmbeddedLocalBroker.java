package io.edgebridge.core.internal.local;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.core.internal.mqtt.MqttLink;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HiveMQ CE running inside EdgeBridge. Intake is in-process through {@link IntakeInterceptor}
 * ({@code intake: extension}) or through the bridge's own MQTT session ({@code intake: mqtt});
 * local publishes always go through that session.
 */
public final class EmbeddedLocalBroker implements LocalBroker {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedLocalBroker.class);

    private final EmbeddedBrokerConfig config;
    private final MqttIntakeSession session;
    private final String ownClientId;
    private volatile EmbeddedHiveMQ hivemq;
    private volatile IntakeInterceptor interceptor;
    private volatile boolean closed;

    public EmbeddedLocalBroker(EmbeddedBrokerConfig config, MqttLink link, String ownClientId) {
        this.config = config;
        this.session = new MqttIntakeSession(link, ownClientId);
        this.ownClientId = ownClientId;
    }

    @Override
    public CompletableFuture<Void> start(Intake intake, List<String> subscriptions) {
        try {
            checkPortFree();
            Path dataDir = config.dataDir().toAbsolutePath();
            Path confDir = Files.createDirectories(dataDir.resolve("conf"));
            Path extensionsDir = Files.createDirectories(dataDir.resolve("extensions"));
            Files.writeString(confDir.resolve("config.xml"), configXml(config), StandardCharsets.UTF_8);
            var builder = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(confDir)
                    .withDataFolder(dataDir)
                    .withExtensionsFolder(extensionsDir)
                    .withoutLoggingBootstrap();
            boolean inProcess = config.intake() == EmbeddedBrokerConfig.Intake.EXTENSION;
            if (inProcess) {
                interceptor = new IntakeInterceptor(intake, ownClientId);
                builder.withEmbeddedExtension(EmbeddedExtension.builder()
                        .withId("edgebridge-intake")
                        .withName("EdgeBridge intake")
                        .withVersion("1")
                        .withPriority(1000)
                        .withExtensionMain(new IntakeExtension(interceptor))
                        .build());
            }
            hivemq = builder.build();
            log.atInfo().addKeyValue("address", config.address()).addKeyValue("port", config.port())
                    .addKeyValue("intake", config.intake().name().toLowerCase(Locale.ROOT))
                    .log("starting embedded broker");
            return hivemq.start().thenCompose(v -> {
                log.atInfo().addKeyValue("address", config.address()).addKeyValue("port", config.port())
                        .log("embedded broker listening");
                return session.start(inProcess ? null : intake, subscriptions);
            });
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** HiveMQ only logs a failed bind; fail start-up with a clear message instead. */
    private void checkPortFree() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(config.address()), config.port()));
        } catch (IOException e) {
            throw new IOException("embedded broker cannot listen on " + config.address() + ":" + config.port() + ": "
                    + e.getMessage() + " (another broker running? set local.embedded.port)", e);
        }
    }

    static String configXml(EmbeddedBrokerConfig config) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Written by EdgeBridge from its YAML configuration on every start; edits here are lost. -->
                <hivemq>
                    <listeners>
                        <tcp-listener>
                            <port>%d</port>
                            <bind-address>%s</bind-address>
                        </tcp-listener>
                    </listeners>
                    <mqtt>
                        <queued-messages>
                            <max-queue-size>%d</max-queue-size>
                            <strategy>%s</strategy>
                        </queued-messages>
                    </mqtt>
                    <persistence>
                        <mode>%s</mode>
                    </persistence>
                    <anonymous-usage-statistics>
                        <enabled>false</enabled>
                    </anonymous-usage-statistics>
                </hivemq>
                """.formatted(
                config.port(),
                escape(config.address()),
                config.maxQueueSize(),
                config.queueStrategy().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                config.persistence().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties) {
        return session.publish(topic, payload, retain, properties);
    }

    @Override
    public CompletableFuture<Void> updateSubscriptions(List<String> subscriptions) {
        return session.updateSubscriptions(subscriptions);
    }

    @Override
    public void stopIntake() {
        IntakeInterceptor i = interceptor;
        if (i != null) {
            i.stop();
        }
        session.stopIntake();
    }

    @Override
    public boolean isConnected() {
        return session.isConnected();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        session.close();
        EmbeddedHiveMQ broker = hivemq;
        if (broker != null) {
            try {
                broker.stop().get(30, TimeUnit.SECONDS);
                broker.close();
            } catch (Exception e) {
                log.warn("embedded broker did not stop cleanly: {}", e.toString());
            }
        }
    }

    /** Registers the intake interceptor for every client that connects. */
    private static final class IntakeExtension implements ExtensionMain {

        private final IntakeInterceptor interceptor;

        IntakeExtension(IntakeInterceptor interceptor) {
            this.interceptor = interceptor;
        }

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            Services.initializerRegistry().setClientInitializer(
                    (initializerInput, clientContext) -> clientContext.addPublishInboundInterceptor(interceptor));
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
            // Nothing to release: the interceptor belongs to the bridge.
        }
    }
}
