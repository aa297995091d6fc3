package io.edgebridge.core.internal.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.edgebridge.core.support.LogLimit;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts and logs what the embedded broker drops of the messages queued for the bridge's own session.
 * HiveMQ CE has no extension event for a dropped message; it reports each one only to its event log
 * (logger {@code event.message-dropped}, DEBUG: receiving client, topic, QoS, reason). This appender
 * listens there and keeps the events of the bridge's client: a queue-full drop (should the
 * flow control of {@link MqttIntakeGate} ever be outrun), a QoS 0 message beyond HiveMQ's memory
 * limit, an unwritable socket. The logger is set to DEBUG without additivity, so the events reach
 * this appender (and appenders configured on that logger itself) but not the root appenders.
 *
 * <p>Works when Logback is the SLF4J binding (it is in EdgeBridge's distribution); otherwise it logs
 * that drops cannot be seen and does nothing.
 */
final class BrokerDropCounter extends AppenderBase<ILoggingEvent> {

    /** HiveMQ's event logger for dropped messages ({@code com.hivemq.logging.EventLog}). */
    static final String EVENT_LOGGER = "event.message-dropped";

    private static final Logger log = LoggerFactory.getLogger(BrokerDropCounter.class);

    /** The event logger's own settings while any counter is attached (one per bridge; tests run several). */
    private static int attached; // guarded by BrokerDropCounter.class
    private static Level originalLevel; // guarded by BrokerDropCounter.class
    private static boolean originalAdditivity; // guarded by BrokerDropCounter.class

    private final String ownClientId;
    private final BiConsumer<String, String> dropped;
    private final LogLimit limit = new LogLimit();
    private ch.qos.logback.classic.Logger eventLogger;

    /**
     * @param dropped told the topic and HiveMQ's reason of each message dropped for {@code ownClientId}
     */
    private BrokerDropCounter(String ownClientId, BiConsumer<String, String> dropped) {
        this.ownClientId = ownClientId;
        this.dropped = dropped;
    }

    /** Starts listening; empty when Logback is not the logging backend. */
    static Optional<BrokerDropCounter> attach(String ownClientId, BiConsumer<String, String> dropped) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            log.atWarn().addKeyValue("backend", factory.getClass().getName())
                    .log("messages the embedded broker drops for the bridge cannot be counted without Logback");
            return Optional.empty();
        }
        BrokerDropCounter counter = new BrokerDropCounter(ownClientId, dropped);
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
        if (args == null || args.length < 4 || !ownClientId.equals(String.valueOf(args[0]))) {
            return;
        }
        String topic = String.valueOf(args[1]);
        String reason = String.valueOf(args[3]);
        dropped.accept(topic, reason);
        LogLimit.Pass pass = limit.admit(reason);
        if (pass.logs()) {
            log.atWarn().addKeyValue("topic", topic).addKeyValue("qos", args[2]).addKeyValue("reason", reason)
                    .addKeyValue("suppressed", pass.suppressed())
                    .log("the embedded broker dropped a message queued for the bridge ({}); it is lost, counted as"
                            + " dropped{reason=local-broker}{}", reason, pass.suffix());
        }
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
