package io.edgebridge.core.internal.local;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import io.edgebridge.config.BrokerAuth;
import io.edgebridge.config.BrokerListener;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.Secret;
import io.edgebridge.core.internal.local.auth.BrokerSecurity;
import io.edgebridge.core.internal.local.auth.PasswordStore;
import io.edgebridge.core.internal.local.auth.RefusalLog;
import io.edgebridge.core.internal.local.auth.TopicPermissions;
import io.edgebridge.core.internal.mqtt.MqttLink;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HiveMQ CE running inside EdgeBridge. Intake is in-process through {@link IntakeInterceptor}
 * ({@code intake: extension}) or through the bridge's own MQTT session ({@code intake: mqtt});
 * local publishes always go through that session. Authentication and permissions
 * ({@link BrokerSecurity}) live in the same embedded extension, since HiveMQ takes only one.
 */
public final class EmbeddedLocalBroker implements LocalBroker {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedLocalBroker.class);
    private static final long PASSWORD_POLL_SECONDS = 2;

    /** Makes the bridge's link once its listener and credentials are known. */
    @FunctionalInterface
    public interface LinkFactory {
        MqttLink create(MqttEndpointConfig endpoint) throws GeneralSecurityException, IOException;
    }

    private final EmbeddedBrokerConfig config;
    private final MqttEndpointConfig endpoint;
    private final LinkFactory links;
    private final BridgeMetrics metrics;
    private final String ownClientId;
    private final SecureRandom random = new SecureRandom();
    private volatile MqttIntakeSession session;
    private volatile EmbeddedHiveMQ hivemq;
    private volatile IntakeInterceptor interceptor;
    private volatile ScheduledExecutorService passwordPoller;
    private volatile boolean closed;

    /**
     * @param endpoint the bridge's session settings ({@code local.clientId}, keep-alive); address and
     *                 credentials are settled at start
     */
    public EmbeddedLocalBroker(EmbeddedBrokerConfig config, MqttEndpointConfig endpoint, LinkFactory links,
            BridgeMetrics metrics) {
        this.config = config;
        this.endpoint = endpoint;
        this.links = links;
        this.metrics = metrics;
        this.ownClientId = endpoint.clientId();
    }

    @Override
    public CompletableFuture<Void> start(Intake intake, List<String> subscriptions) {
        try {
            for (BrokerListener listener : config.listeners()) {
                checkPortFree(listener);
            }
            Path dataDir = config.dataDir().toAbsolutePath();
            Path confDir = Files.createDirectories(dataDir.resolve("conf"));
            Path extensionsDir = Files.createDirectories(dataDir.resolve("extensions"));
            List<BrokerConfigXml.Listener> listeners = new ArrayList<>();
            for (int i = 0; i < config.listeners().size(); i++) {
                BrokerListener l = config.listeners().get(i);
                if (l.tls().isEmpty()) {
                    listeners.add(BrokerConfigXml.Listener.plain(l.address(), l.port()));
                } else {
                    listeners.add(new BrokerConfigXml.Listener(l.address(), l.port(),
                            Optional.of(ListenerStores.write(l.tls().get(), confDir, "listener-" + i, random)),
                            l.tls().get().clientAuth()));
                }
            }
            BrokerConfigXml.Listener own = ownListener(listeners);
            try (OutputStream out = ListenerStores.ownerOnly(confDir.resolve("config.xml"))) {
                out.write(BrokerConfigXml.render(config, listeners).getBytes(StandardCharsets.UTF_8));
            }

            Optional<BrokerSecurity> security = Optional.empty();
            byte[] secret = new byte[0];
            if (config.secured()) {
                secret = newSecret();
                security = Optional.of(security(secret));
            }
            session = new MqttIntakeSession(links.create(sessionEndpoint(own, secret)), ownClientId);

            var builder = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(confDir)
                    .withDataFolder(dataDir)
                    .withExtensionsFolder(extensionsDir)
                    .withoutLoggingBootstrap();
            boolean inProcess = config.intake() == EmbeddedBrokerConfig.Intake.EXTENSION;
            if (inProcess) {
                interceptor = new IntakeInterceptor(intake, ownClientId);
            }
            if (inProcess || security.isPresent()) {
                builder.withEmbeddedExtension(EmbeddedExtension.builder()
                        .withId("edgebridge")
                        .withName("EdgeBridge intake and security")
                        .withVersion("1")
                        .withPriority(1000)
                        .withExtensionMain(new BridgeExtension(Optional.ofNullable(interceptor), security))
                        .build());
            }
            hivemq = builder.build();
            String shown = config.listeners().stream().map(BrokerListener::display).collect(Collectors.joining(", "));
            log.atInfo().addKeyValue("listeners", shown)
                    .addKeyValue("intake", config.intake().name().toLowerCase(Locale.ROOT))
                    .addKeyValue("auth", config.auth().isPresent()).addKeyValue("permissions", config.permissions().isPresent())
                    .log("starting embedded broker");
            warnIfAnonymous(shown);
            MqttIntakeSession s = session;
            return hivemq.start().thenCompose(v -> {
                log.atInfo().addKeyValue("listeners", shown).log("embedded broker listening");
                return s.start(inProcess ? null : intake, subscriptions);
            });
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The listener the bridge's session uses: the first plain one, or an internal plain listener on
     * 127.0.0.1 (a free port) when every configured listener uses TLS.
     */
    private static BrokerConfigXml.Listener ownListener(List<BrokerConfigXml.Listener> listeners) throws IOException {
        for (BrokerConfigXml.Listener l : listeners) {
            if (l.stores().isEmpty()) {
                return l;
            }
        }
        int port;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = probe.getLocalPort();
        }
        BrokerConfigXml.Listener internal = BrokerConfigXml.Listener.plain("127.0.0.1", port);
        listeners.add(internal);
        log.atInfo().addKeyValue("port", port).log("every listener uses TLS: the bridge's own session uses an"
                + " internal plain listener on 127.0.0.1");
        return internal;
    }

    private MqttEndpointConfig sessionEndpoint(BrokerConfigXml.Listener own, byte[] secret) {
        String host = BrokerListener.plain(own.address(), own.port()).wildcard() ? "127.0.0.1" : own.address();
        Optional<Secret> password = secret.length == 0 ? Optional.empty()
                : Optional.of(new Secret(new String(secret, StandardCharsets.US_ASCII)));
        return new MqttEndpointConfig(host, own.port(), false, endpoint.clientId(),
                password.map(p -> endpoint.clientId()), password, Optional.empty(), endpoint.version(),
                endpoint.sessionExpiry(), endpoint.keepAlive(), endpoint.connectTimeout(), endpoint.reconnect());
    }

    /** A fresh secret for the bridge's session at each start; it is never written or logged. */
    private byte[] newSecret() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).getBytes(StandardCharsets.US_ASCII);
    }

    private BrokerSecurity security(byte[] secret) throws IOException {
        Optional<PasswordStore> passwords = Optional.empty();
        if (config.auth().isPresent()) {
            PasswordStore store = new PasswordStore(config.auth().get().passwordFile());
            store.load();
            passwords = Optional.of(store);
            ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "broker-password-file");
                t.setDaemon(true);
                return t;
            });
            poller.scheduleWithFixedDelay(store::reloadIfChanged, PASSWORD_POLL_SECONDS, PASSWORD_POLL_SECONDS,
                    TimeUnit.SECONDS);
            passwordPoller = poller;
        }
        return new BrokerSecurity(ownClientId, secret, passwords,
                config.auth().map(a -> a.allowAnonymous()).orElse(false),
                config.auth().map(a -> a.clientIds()).orElse(BrokerAuth.ClientIds.ANY),
                config.permissions().map(TopicPermissions::new), new RefusalLog(metrics, System::nanoTime));
    }

    private void warnIfAnonymous(String shown) {
        anonymousWarning(config).ifPresent(warning -> log.atWarn().addKeyValue("listeners", shown).log(warning));
    }

    /** The start-up warning for a broker that takes anonymous clients on a non-loopback address, if due. */
    static Optional<String> anonymousWarning(EmbeddedBrokerConfig config) {
        if (config.auth().isPresent() && !config.auth().get().allowAnonymous()) {
            return Optional.empty();
        }
        List<BrokerListener> exposed = config.listeners().stream().filter(l -> !isLoopback(l)).toList();
        if (exposed.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("embedded broker accepts anonymous clients on "
                + exposed.stream().map(BrokerListener::display).collect(Collectors.joining(", "))
                + "; set local.embedded.auth (see docs/CONFIG.md, Securing the local broker)");
    }

    private static boolean isLoopback(BrokerListener listener) {
        try {
            return InetAddress.getByName(listener.address()).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** HiveMQ only logs a failed bind; fail start-up with a clear message instead. */
    private static void checkPortFree(BrokerListener listener) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(listener.address()), listener.port()));
        } catch (IOException e) {
            throw new IOException("embedded broker cannot listen on " + listener.display() + ": " + e.getMessage()
                    + " (another broker running? change the port in local.embedded)", e);
        }
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties) {
        MqttIntakeSession s = session;
        if (s == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the embedded broker is not started"));
        }
        return s.publish(topic, payload, retain, properties);
    }

    @Override
    public CompletableFuture<LocalResponse> request(String topic, byte[] payload, Map<String, String> properties,
            java.time.Duration timeout) {
        MqttIntakeSession s = session;
        if (s == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the local broker is not running"));
        }
        return s.request(topic, payload, properties, timeout);
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
        MqttIntakeSession s = session;
        if (s != null) {
            s.stopIntake();
        }
    }

    @Override
    public boolean isConnected() {
        MqttIntakeSession s = session;
        return s != null && s.isConnected();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ScheduledExecutorService poller = passwordPoller;
        if (poller != null) {
            poller.shutdownNow();
        }
        MqttIntakeSession s = session;
        if (s != null) {
            s.close();
        }
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

    /** The one embedded extension: security (when configured) and the intake interceptor (in-process intake). */
    private static final class BridgeExtension implements ExtensionMain {

        private final Optional<IntakeInterceptor> interceptor;
        private final Optional<BrokerSecurity> security;

        BridgeExtension(Optional<IntakeInterceptor> interceptor, Optional<BrokerSecurity> security) {
            this.interceptor = interceptor;
            this.security = security;
        }

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            security.ifPresent(BrokerSecurity::register);
            // One interceptor: HiveMQ runs interceptors before authorizers, so a publish outside the
            // client's permissions is refused here, before intake could spool it.
            boolean checked = security.filter(BrokerSecurity::checksPublishes).isPresent();
            if (!checked && interceptor.isEmpty()) {
                return;
            }
            PublishInboundInterceptor combined = (in, out) -> {
                if (checked && !security.get().admitPublish(in, out)) {
                    return;
                }
                interceptor.ifPresent(i -> i.onInboundPublish(in, out));
            };
            Services.initializerRegistry().setClientInitializer(
                    (initializerInput, clientContext) -> clientContext.addPublishInboundInterceptor(combined));
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
            // Nothing to release: the interceptor and security belong to the bridge.
        }
    }
}
