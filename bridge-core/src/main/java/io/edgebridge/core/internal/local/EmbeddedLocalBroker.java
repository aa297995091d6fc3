package io.edgebridge.core.internal.local;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import io.edgebridge.config.BrokerAuth;
import io.edgebridge.config.BrokerListener;
import io.edgebridge.config.Direction;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.Secret;
import io.edgebridge.core.internal.local.auth.BrokerSecurity;
import io.edgebridge.core.internal.local.auth.PasswordStore;
import io.edgebridge.core.internal.local.auth.RefusalLog;
import io.edgebridge.core.internal.local.auth.TopicPermissions;
import io.edgebridge.core.internal.mqtt.MqttLink;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
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
 *
 * <p>With MQTT intake HiveMQ acknowledges a device's publish before the bridge has it, so what it
 * queued for the bridge is bounded by {@link IntakeBacklog} and {@link MqttIntakeGate} (devices wait
 * while the bridge is behind), the bridge's own session gets a queue far above that bound, and
 * whatever HiveMQ still drops for the bridge is counted by {@link BrokerDropCounter}.
 */
public final class EmbeddedLocalBroker implements LocalBroker {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedLocalBroker.class);
    private static final long PASSWORD_POLL_SECONDS = 2;
    /**
     * Messages queued for the bridge's session (intake: mqtt, in flight to it included) before
     * devices wait: twice the session's receive window ({@code Bridge.INTAKE_RECEIVE_MAXIMUM},
     * 10,000), so the window stays full while they wait.
     */
    static final long INTAKE_BACKLOG_MESSAGES = 20_000;
    /** The same bound in payload bytes, for large messages. */
    static final long INTAKE_BACKLOG_BYTES = 32L << 20;
    /**
     * HiveMQ's queue limit for the bridge's own session: ten times what the gate lets in (the
     * backlog bound plus at most one publish per device connection), so HiveMQ has no reason to drop
     * for the bridge, whatever {@code maxQueueSize} (for the devices' sessions) says.
     */
    static final long BRIDGE_QUEUE_SIZE = 10 * INTAKE_BACKLOG_MESSAGES;
    /** Quiet time after which an idle, connected session proves the broker's queue for it empty. */
    private static final Duration BACKLOG_QUIET = Duration.ofSeconds(2);
    /** How long a stop waits for the bridge to take what the broker already queued for it. */
    private static final Duration STOP_DRAIN = Duration.ofSeconds(5);

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
    private volatile IntakeBacklog backlog;
    private volatile BrokerDropCounter drops;
    private volatile ScheduledExecutorService timer;
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

            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "embedded-broker-timer");
                t.setDaemon(true);
                return t;
            });
            Optional<BrokerSecurity> security = Optional.empty();
            byte[] secret = new byte[0];
            if (config.secured()) {
                secret = newSecret();
                security = Optional.of(security(secret));
            }
            boolean inProcess = config.intake() == EmbeddedBrokerConfig.Intake.EXTENSION;
            Optional<IntakeBacklog> counted = inProcess ? Optional.empty()
                    : Optional.of(new IntakeBacklog(INTAKE_BACKLOG_MESSAGES, INTAKE_BACKLOG_BYTES, System::nanoTime));
            MqttIntakeSession s = new MqttIntakeSession(links.create(sessionEndpoint(own, secret)), ownClientId, counted);
            session = s;

            PublishInboundInterceptor intakeStage;
            if (inProcess) {
                interceptor = new IntakeInterceptor(intake, ownClientId);
                intakeStage = interceptor;
            } else {
                IntakeBacklog b = counted.get();
                backlog = b;
                Counter refused = metrics.localRefused("publish", "intake-backlog");
                intakeStage = new MqttIntakeGate(b, ownClientId, s::queuedForBridge, refused::increment);
                metrics.gauge(BridgeMeter.LOCAL_INTAKE_BACKLOG, b::messages);
                timer.scheduleWithFixedDelay(() -> forgetIdleBacklog(b, s), 500, 500, TimeUnit.MILLISECONDS);
            }
            drops = BrokerDropCounter.attach(ownClientId, (topic, reason) -> intake.droppedByBroker(topic),
                    reason -> metrics.localDropped(reason).increment()).orElse(null);

            var builder = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(confDir)
                    .withDataFolder(dataDir)
                    .withExtensionsFolder(extensionsDir)
                    .withoutLoggingBootstrap()
                    .withEmbeddedExtension(EmbeddedExtension.builder()
                            .withId("edgebridge")
                            .withName("EdgeBridge intake and security")
                            .withVersion("1")
                            .withPriority(1000)
                            .withExtensionMain(new BridgeExtension(ownClientId, intakeStage, security,
                                    inProcess ? OptionalLong.empty() : OptionalLong.of(BRIDGE_QUEUE_SIZE)))
                            .build());
            hivemq = builder.build();
            String shown = config.listeners().stream().map(BrokerListener::display).collect(Collectors.joining(", "));
            log.atInfo().addKeyValue("listeners", shown)
                    .addKeyValue("intake", config.intake().name().toLowerCase(Locale.ROOT))
                    .addKeyValue("auth", config.auth().isPresent()).addKeyValue("permissions", config.permissions().isPresent())
                    .log("starting embedded broker");
            warnIfAnonymous(shown);
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
            timer.scheduleWithFixedDelay(store::reloadIfChanged, PASSWORD_POLL_SECONDS, PASSWORD_POLL_SECONDS,
                    TimeUnit.SECONDS);
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

    /** Sets the backlog's count right when the broker's queue for the bridge must be empty (see {@link IntakeBacklog}). */
    private static void forgetIdleBacklog(IntakeBacklog backlog, MqttIntakeSession session) {
        long forgotten = backlog.forgetIfIdle(session.isConnected(), BACKLOG_QUIET);
        if (forgotten > 0) {
            log.atDebug().addKeyValue("messages", forgotten)
                    .log("intake backlog count reset: the bridge's session is idle, so the broker's queue for it is empty");
        }
    }

    /**
     * Refuses devices' publishes from now on (extension intake: at once; MQTT intake: what would be
     * queued for the bridge), lets the bridge take what the broker already queued for it (up to
     * {@link #STOP_DRAIN}), then stops intake.
     */
    @Override
    public void stopIntake() {
        IntakeInterceptor i = interceptor;
        if (i != null) {
            i.stop();
        }
        MqttIntakeSession s = session;
        IntakeBacklog b = backlog;
        if (b != null && s != null) {
            b.close("bridge is shutting down");
            drain(b, s);
        }
        if (s != null) {
            s.stopIntake();
        }
    }

    private void drain(IntakeBacklog b, MqttIntakeSession s) {
        long deadline = System.nanoTime() + STOP_DRAIN.toNanos();
        try {
            while (b.messages() > 0 && System.nanoTime() < deadline) {
                b.forgetIfIdle(s.isConnected(), Duration.ofMillis(500));
                b.awaitEmpty(Duration.ofMillis(100));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long left = b.messages();
        if (left == 0) {
            return;
        }
        if (config.persistence() == EmbeddedBrokerConfig.Persistence.IN_MEMORY) {
            metrics.dropped(Direction.UPSTREAM, "*", BridgeMetrics.ANY_SINK, "local-broker").increment(left);
            log.atWarn().addKeyValue("messages", left).log("{} messages the embedded broker had acknowledged to devices"
                    + " were not yet taken by the bridge within {} s and are lost with the in-memory broker; counted as"
                    + " dropped{reason=local-broker}", left, STOP_DRAIN.toSeconds());
        } else {
            log.atInfo().addKeyValue("messages", left).log("{} messages stay queued for the bridge in the embedded"
                    + " broker's persistence and are taken after the restart", left);
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
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
        IntakeBacklog b = backlog;
        if (b != null) {
            b.close("bridge is shutting down");
        }
        BrokerDropCounter d = drops;
        if (d != null) {
            d.detach();
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

    /**
     * The one embedded extension: the intake stage (the spooling interceptor, or the MQTT intake's
     * gate), security when configured, and the bridge session's queue size for MQTT intake.
     */
    private static final class BridgeExtension implements ExtensionMain {

        private final String ownClientId;
        private final PublishInboundInterceptor intakeStage;
        private final Optional<BrokerSecurity> security;
        private final OptionalLong bridgeQueueSize;

        BridgeExtension(String ownClientId, PublishInboundInterceptor intakeStage, Optional<BrokerSecurity> security,
                OptionalLong bridgeQueueSize) {
            this.ownClientId = ownClientId;
            this.intakeStage = intakeStage;
            this.security = security;
            this.bridgeQueueSize = bridgeQueueSize;
        }

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            registerAuthenticator();
            security.ifPresent(BrokerSecurity::registerAuthorizer);
            // One interceptor: HiveMQ runs interceptors before authorizers, so a publish outside the
            // client's permissions is refused here, before intake could spool (or count) it.
            boolean checked = security.filter(BrokerSecurity::checksPublishes).isPresent();
            PublishInboundInterceptor combined = (in, out) -> {
                if (checked && !security.get().admitPublish(in, out)) {
                    return;
                }
                intakeStage.onInboundPublish(in, out);
            };
            Services.initializerRegistry().setClientInitializer(
                    (initializerInput, clientContext) -> clientContext.addPublishInboundInterceptor(combined));
        }

        /**
         * The configured authentication (or everyone, without it), and for the bridge's own session a
         * queue limit of its own: HiveMQ sets per-client queue limits only through an authenticator.
         */
        private void registerAuthenticator() {
            if (security.isEmpty() && bridgeQueueSize.isEmpty()) {
                return; // HiveMQ's embedded default: every client is let in
            }
            SimpleAuthenticator base = security.map(BrokerSecurity::authenticator)
                    .orElse((in, out) -> out.authenticateSuccessfully());
            SimpleAuthenticator authenticator = bridgeQueueSize.isEmpty() ? base : (in, out) -> {
                if (in.getClientInformation().getClientId().equals(ownClientId)) {
                    out.getClientSettings().setClientQueueSizeMaximum(bridgeQueueSize.getAsLong());
                }
                base.onConnect(in, out);
            };
            Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
            // Nothing to release: the interceptor and security belong to the bridge.
        }
    }
}
