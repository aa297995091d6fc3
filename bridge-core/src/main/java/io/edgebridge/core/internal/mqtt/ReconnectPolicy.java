package io.edgebridge.core.internal.mqtt;

import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedContext;
import com.hivemq.client.mqtt.lifecycle.MqttClientDisconnectedListener;
import com.hivemq.client.mqtt.lifecycle.MqttClientReconnector;
import com.hivemq.client.mqtt.lifecycle.MqttDisconnectSource;
import io.edgebridge.config.Backoff;
import io.edgebridge.core.internal.BackoffDelays;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconnects after every disconnect not asked for by us: exponential backoff from {@code min} to
 * {@code max}, shortened by a random jitter, re-sending unacknowledged publishes even if the broker
 * lost the session.
 */
final class ReconnectPolicy implements MqttClientDisconnectedListener {

    private static final Logger log = LoggerFactory.getLogger(ReconnectPolicy.class);

    private final Backoff backoff;
    private final String name;
    private final String address;
    private final BooleanSupplier closed;

    /** {@code closed}: once true, no further reconnect is attempted. */
    ReconnectPolicy(Backoff backoff, String name, String address, BooleanSupplier closed) {
        this.backoff = backoff;
        this.name = name;
        this.address = address;
        this.closed = closed;
    }

    @Override
    public void onDisconnected(MqttClientDisconnectedContext context) {
        MqttClientReconnector reconnector = context.getReconnector();
        if (context.getSource() == MqttDisconnectSource.USER || closed.getAsBoolean()) {
            // A client that is still retrying cannot be disconnected; it stops here instead.
            reconnector.reconnect(false);
            return;
        }
        long delay = BackoffDelays.millis(backoff, reconnector.getAttempts());
        reconnector.reconnect(true)
                .republishIfSessionExpired(true)
                .resubscribeIfSessionExpired(true)
                .delay(delay, TimeUnit.MILLISECONDS);
        String cause = describe(context.getCause());
        if (reconnector.getAttempts() == 0) {
            log.atWarn().addKeyValue("link", name).addKeyValue("broker", address)
                    .log("disconnected ({}); reconnecting in {} ms", cause, delay);
        } else {
            log.atInfo().addKeyValue("link", name).addKeyValue("broker", address)
                    .log("connect attempt {} failed ({}); next in {} ms", reconnector.getAttempts(), cause, delay);
        }
    }

    /** The failure in one line, without credentials (the client's messages never contain them). */
    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
