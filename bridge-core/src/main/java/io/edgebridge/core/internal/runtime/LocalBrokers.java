package io.edgebridge.core.internal.runtime;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.ExternalBrokerConfig;
import io.edgebridge.core.internal.local.EmbeddedLocalBroker;
import io.edgebridge.core.internal.local.ExternalLocalBroker;
import io.edgebridge.core.internal.local.LocalBroker;
import io.edgebridge.core.internal.mqtt.MqttLink;
import io.edgebridge.core.internal.mqtt.MqttLinks;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.stats.BridgeMeter;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the configured local broker (embedded or external) and waits for its intake to go live. */
final class LocalBrokers {

    private static final Logger log = LoggerFactory.getLogger(LocalBrokers.class);

    /** How many unacknowledged local messages the broker may push to the bridge's intake session. */
    private static final int INTAKE_RECEIVE_MAXIMUM = 10_000;
    private static final Duration EMBEDDED_START_TIMEOUT = Duration.ofSeconds(60);

    private LocalBrokers() {
    }

    static LocalBroker create(BridgeConfig config, RouteTable routes, BridgeMetrics metrics) throws Exception {
        if (config.local().broker() instanceof EmbeddedBrokerConfig embedded) {
            return new EmbeddedLocalBroker(embedded, config.local().endpoint(),
                    endpoint -> MqttLinks.create(endpoint, "local", INTAKE_RECEIVE_MAXIMUM), metrics);
        }
        MqttLink link = MqttLinks.create(config.local().endpoint(), "local", INTAKE_RECEIVE_MAXIMUM);
        String clientId = config.local().endpoint().clientId();
        ExternalBrokerConfig external = (ExternalBrokerConfig) config.local().broker();
        if (!link.supportsUserProperties() && !routes.downstreamSinks().isEmpty()) {
            log.atWarn().addKeyValue("broker", external.endpoint().displayUri())
                    .log("local broker uses MQTT 3.1.1: downstream messages cannot carry the hop marker; make sure no"
                            + " upstream route matches a downstream route's local topic");
        }
        external.sharedGroup().ifPresent(group -> log.atInfo().addKeyValue("group", group)
                .addKeyValue("clientId", clientId)
                .log("shared intake: replicas in group '{}' split the local messages between them; this replica is"
                        + " client '{}'", group, clientId));
        ExternalLocalBroker broker = new ExternalLocalBroker(link, clientId, external.sharedGroup(),
                external.endpoint().displayUri());
        metrics.gauge(BridgeMeter.LOCAL_BROKER_DROPPED, () -> broker.droppedReported().map(n -> (Number) n).orElse(Double.NaN));
        return broker;
    }

    /**
     * Waits until intake is live, so "started" means devices' messages are taken from then on. An
     * embedded broker that does not come up, or a subscription the broker refuses, fails the start;
     * an external broker that is not reachable yet only delays intake (the session keeps retrying).
     */
    static void awaitIntake(BridgeConfig config, CompletableFuture<Void> ready) throws Exception {
        boolean embedded = config.local().broker() instanceof EmbeddedBrokerConfig;
        Duration wait = embedded ? EMBEDDED_START_TIMEOUT
                : config.local().endpoint().connectTimeout().plus(Duration.ofSeconds(5));
        try {
            ready.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            if (embedded) {
                throw new IllegalStateException("the embedded broker did not start within " + wait.toSeconds() + " s");
            }
            log.atWarn().addKeyValue("broker", config.local().endpoint().displayUri())
                    .log("local broker not reachable yet; messages are taken from it as soon as it is");
        }
    }
}
