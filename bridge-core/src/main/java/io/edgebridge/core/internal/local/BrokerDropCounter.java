package io.edgebridge.core.internal.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.edgebridge.core.support.LogLimit;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts and logs what the embedded broker drops of the messages it queued for a subscriber. HiveMQ
 * CE has no extension event for a dropped message; it reports each one only to its event log (logger
 * {@code event.message-dropped}, DEBUG: receiving client, topic, QoS, reason). This appender listens
 * there. Drops from the bridge's own session (a queue-full drop, should the flow control of
 * {@link MqttIntakeGate} ever be outrun; a QoS 0 message beyond HiveMQ's memory limit; an unwritable
 * socket) were acknowledged to a device and never reached the spool: they go to {@code bridgeDropped}.
 * Drops from a device's session (a slow or offline subscriber beyond {@code maxQueueSize}, e.g. of
 * downstream messages the bridge delivered) go to {@code deviceDropped}, by reason. The logger is set
 * to DEBUG without additivity, so the events reach this appender (and appenders configured on that
 * logger itself) but not the root appenders.
 *
 * <p>Works when Logback is the SLF4J binding (it is in EdgeBridge's distribution); otherwise it logs
 * that drops cannot be seen and does nothing.
 */
final class BrokerDropCounter extends AppenderBase<ILoggingEvent> {

    /** HiveMQ's event logger for dropped messages ({@code com.hivemq.logging.EventLog}). */
    static final String EVENT_LOGGER = "event.message-dropped";
    /** HiveMQ's reason for a publish an interceptor prevented (MessageDroppedServiceImpl.extensionPrevented). */
    private static final String EXTENSION_PREVENTED = "Extension prevented onward delivery";

    private static final Logger log = LoggerFactory.getLogger(BrokerDropCounter.class);

    /** The event logger's own settings while any counter is attached (one per bridge; tests run several). */
    private static int attached; // guarded by BrokerDropCounter.class
    private static Level originalLevel; // guarded by BrokerDropCounter.class
    private static boolean originalAdditivity; // guarded by BrokerDropCounter.class

    private final String ownClientId;
    private final BiConsumer<String, String> bridgeDropped;
    private final Consumer<String> deviceDropped;
    private final LogLimit bridgeLog = new LogLimit();
    private final LogLimit deviceLog = new LogLimit();
    private ch.qos.logback.classic.Logger eventLogger;

    private BrokerDropCounter(String ownClientId, BiConsumer<String, String> bridgeDropped,
            Consumer<String> deviceDropped) {
        this.ownClientId = ownClientId;
        this.bridgeDropped = bridgeDropped;
        this.deviceDropped = deviceDropped;
    }

    /**
     * Starts listening; empty when Logback is not the logging backend.
     *
     * @param bridgeDropped told the topic and HiveMQ's reason of each message dropped for {@code ownClientId}
     * @param deviceDropped told the {@link #reasonTag reason tag} of each message dropped for another client
     */
    static Optional<BrokerDropCounter> attach(String ownClientId, BiConsumer<String, String> bridgeDropped,
            Consumer<String> deviceDropped) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            log.atWarn().addKeyValue("backend", factory.getClass().getName())
                    .log("messages the embedded broker drops for the bridge cannot be counted without Logback");
            return Optional.empty();
        }
        BrokerDropCounter counter = new BrokerDropCounter(ownClientId, bridgeDropped, deviceDropped);
        counter.setContext(context);
        counter.setName("edgebridge-broker-drops");
        counter.start();
        ch.qos.logback.classic.Logger logger = context.getLogger(EVENT_LOGGER);
        counter.eventLogger = logger;
        synchronized (BrokerDropCounter.class) {
            if (attached++ == 0) {
                originalLevel = logger.getLevel();
                originalAdditivity = logger.isAdditive();
            }
            logger.addAppender(counter);
            logger.setLevel(Level.DEBUG);
            logger.setAdditive(false);
        }
        return Optional.of(counter);
    }

    @Override
    protected void append(ILoggingEvent event) {
        Object[] args = event.getArgumentArray();
        // "Outgoing publish message was dropped. Receiving client: {}, topic: {}, qos: {}, reason: {}."
        // (shared subscriptions: "Receiving shared subscription group: {}, ..." with the same arguments)
        if (args == null || args.length < 4) {
            return;
        }
        String client = String.valueOf(args[0]);
        String topic = String.valueOf(args[1]);
        String reason = String.valueOf(args[3]);
        if (reason.startsWith(EXTENSION_PREVENTED)) {
            return; // a publish an interceptor refused (named after its publisher): counted where it was refused
        }
        if (ownClientId.equals(client)) {
            bridgeDropped.accept(topic, reason);
            LogLimit.Pass pass = bridgeLog.admit(reason);
            if (pass.logs()) {
                log.atWarn().addKeyValue("topic", topic).addKeyValue("qos", args[2]).addKeyValue("reason", reason)
                        .addKeyValue("suppressed", pass.suppressed())
                        .log("the embedded broker dropped a message queued for the bridge ({}); it is lost, counted as"
                                + " dropped{reason=local-broker}{}", reason, pass.suffix());
            }
            return;
        }
        String tag = reasonTag(reason);
        deviceDropped.accept(tag);
        LogLimit.Pass pass = deviceLog.admit(client);
        if (pass.logs()) {
            log.atWarn().addKeyValue("clientId", client).addKeyValue("topic", topic).addKeyValue("reason", reason)
                    .addKeyValue("suppressed", pass.suppressed())
                    .log("the embedded broker dropped a message queued for client '{}' ({}); counted as"
                            + " edgebridge_local_dropped_total{{}}{}", client, reason, "reason=" + tag, pass.suffix());
        }
    }

    /** HiveMQ's reason text as a short tag: queue-full, qos0-memory, not-writable, too-large, internal-error, other. */
    static String reasonTag(String reason) {
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.contains("queue is full")) {
            return "queue-full";
        } else if (r.contains("qos 0 memory")) {
            return "qos0-memory";
        } else if (r.contains("not writable")) {
            return "not-writable";
        } else if (r.contains("packet size")) {
            return "too-large";
        } else if (r.contains("internal error")) {
            return "internal-error";
        }
        return "other";
    }

    /** Stops listening; the last counter to detach gives the event logger its settings back. */
    void detach() {
        synchronized (BrokerDropCounter.class) {
            if (!eventLogger.detachAppender(this)) {
                return; // detached before
            }
            if (--attached == 0) {
                eventLogger.setLevel(originalLevel);
                eventLogger.setAdditive(originalAdditivity);
            }
        }
        stop();
    }
}
