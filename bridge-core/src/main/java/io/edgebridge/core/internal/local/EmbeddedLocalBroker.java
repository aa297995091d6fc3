package io.edgebridge.core.internal.local;

import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
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
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HiveMQ CE running inside EdgeBridge ({@link HiveMqServer}). Intake is in-process through
 * {@link IntakeInterceptor} ({@code intake: extension}) or through the bridge's own
 * {@link LocalBrokerSession} ({@code intake: mqtt}); local publishes always go through that session.
 * Authentication and permissions ({@link BrokerSecurity}) live in the same {@link BridgeExtension},
 * since HiveMQ takes only one.
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
    private volatile LocalBrokerSession session;
    private volatile HiveMqServer server;
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
            HiveMqServer hivemq = HiveMqServer.prepare(config, random);
            server = hivemq;
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
            LocalBrokerSession s = new LocalBrokerSession(links.create(sessionEndpoint(hivemq.ownListener(), secret)),
                    ownClientId, counted);
            session = s;

            PublishInboundInterceptor intakeStage;
            AtomicReference<BridgeExtension> started = new AtomicReference<>();
            if (inProcess) {
                IntakeInterceptor i = new IntakeInterceptor(intake, ownClientId,
                        id -> started.get().disconnect(id, "bridge could not store a message"), System::nanoTime);
                interceptor = i;
                intakeStage = i;
                timer.scheduleWithFixedDelay(i::forgetStale, 30, 30, TimeUnit.SECONDS);
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

            BridgeExtension extension = new BridgeExtension(ownClientId, intakeStage,
                    Optional.ofNullable(inProcess ? interceptor : null), security,
                    inProcess ? OptionalLong.empty() : OptionalLong.of(BRIDGE_QUEUE_SIZE));
            started.set(extension);
            return hivemq.start(extension).thenCompose(v -> s.start(inProcess ? null : intake, subscriptions));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
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

    /** The start-up warning for a broker that takes anonymous clients on a non-loopback address, if due. */
    static Optional<String> anonymousWarning(EmbeddedBrokerConfig config) {
        return HiveMqServer.anonymousWarning(config);
    }

    @Override
    public CompletableFuture<Void> publish(String topic, byte[] payload, boolean retain, Map<String, String> properties) {
        LocalBrokerSession s = session;
        if (s == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the embedded broker is not started"));
        }
        return s.publish(topic, payload, retain, properties);
    }

    @Override
    public CompletableFuture<LocalResponse> request(String topic, byte[] payload, Map<String, String> properties,
            java.time.Duration timeout) {
        LocalBrokerSession s = session;
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
    private static void forgetIdleBacklog(IntakeBacklog backlog, LocalBrokerSession session) {
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
        LocalBrokerSession s = session;
        IntakeBacklog b = backlog;
        if (b != null && s != null) {
            b.close("bridge is shutting down");
            drain(b, s);
        }
        if (s != null) {
            s.stopIntake();
        }
    }

    private void drain(IntakeBacklog b, LocalBrokerSession s) {
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
        LocalBrokerSession s = session;
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
        LocalBrokerSession s = session;
        if (s != null) {
            s.close();
        }
        HiveMqServer hivemq = server;
        if (hivemq != null) {
            hivemq.stop();
        }
    }
}
