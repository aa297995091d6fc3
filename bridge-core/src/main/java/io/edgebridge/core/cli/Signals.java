package io.edgebridge.core.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM/SIGINT handling, so a stop request ends in a graceful stop and exit code 0 instead of the
 * JVM's default exit by signal; SIGHUP reloads the configuration. Uses {@code sun.misc.Signal} (module jdk.unsupported, present in
 * every JDK); without it the caller's shutdown hook still stops the bridge.
 */
final class Signals {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    static void onTermination(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    log.info("received SIG{}", name);
                    action.run();
                });
            } catch (IllegalArgumentException | LinkageError e) {
                log.debug("cannot handle SIG{}: {}", name, e.toString());
            }
        }
    }

    /** SIGHUP asks for a configuration reload (the daemon convention). */
    static void onHangup(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {
                log.info("received SIGHUP: reloading the configuration");
                action.run();
            });
        } catch (IllegalArgumentException | LinkageError e) {
            log.debug("cannot handle SIGHUP: {}", e.toString());
        }
    }
}
