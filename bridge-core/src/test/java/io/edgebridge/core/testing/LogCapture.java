package io.edgebridge.core.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Collects what a bridge running in the test JVM logs at WARN and above (from every logger), for
 * assertions on log floods and on what an operator is told. Close it to detach.
 */
public final class LogCapture implements AutoCloseable {

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final List<ILoggingEvent> events = new ArrayList<>();

    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                event.prepareForDeferredProcessing();
                synchronized (LogCapture.this) {
                    events.add(event);
                }
            }
        }
    };

    private LogCapture() {
        appender.setContext(root.getLoggerContext());
        appender.setName("log-capture");
        appender.start();
        root.addAppender(appender);
    }

    /** Starts collecting now. */
    public static LogCapture start() {
        return new LogCapture();
    }

    /** WARN and ERROR events so far. */
    public synchronized List<ILoggingEvent> events() {
        return List.copyOf(events);
    }

    /** How many WARN and ERROR lines were logged so far. */
    public synchronized int count() {
        return events.size();
    }

    /** How many of them match. */
    public synchronized long count(Predicate<ILoggingEvent> filter) {
        return events.stream().filter(filter).count();
    }

    /** Formatted messages (with logger names) of what was collected, for failure messages. */
    public synchronized List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : events) {
            lines.add(e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage());
        }
        return lines;
    }

    /** Forgets what was collected (to count the lines of one phase only). */
    public synchronized void clear() {
        events.clear();
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
    }
}
