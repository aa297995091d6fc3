package io.edgebridge.config.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * How a default MQTT client id is made. Plainly it is the base ({@code edgebridge},
 * {@code edgebridge-<sink>}); with {@code local.sharedGroup} every replica runs the same
 * configuration, and two sessions with one client id would take each other off the broker, so the
 * default gets the host name appended ({@code edgebridge-<host>}).
 */
final class ClientIdDefaults {

    static final ClientIdDefaults PLAIN = new ClientIdDefaults(false, Optional::empty);
    static final int MAX_HOST_LENGTH = 64;
    private static final Pattern NOT_ALLOWED = Pattern.compile("[^A-Za-z0-9._-]");

    private final boolean perReplica;
    private final Supplier<Optional<String>> host;

    private ClientIdDefaults(boolean perReplica, Supplier<Optional<String>> host) {
        this.perReplica = perReplica;
        this.host = host;
    }

    /** Per-replica defaults; the host name is looked up at most once, and only if a default is used. */
    static ClientIdDefaults perReplica(Function<String, String> environment) {
        return perReplica(() -> hostName(environment));
    }

    static ClientIdDefaults perReplica(Supplier<Optional<String>> hostName) {
        Supplier<Optional<String>> once = new Supplier<>() {
            private Optional<String> found;

            @Override
            public synchronized Optional<String> get() {
                if (found == null) {
                    found = hostName.get();
                }
                return found;
            }
        };
        return new ClientIdDefaults(true, once);
    }

    boolean perReplica() {
        return perReplica;
    }

    /** The default for {@code base}, or empty when it must be per replica and the host name is unknown. */
    Optional<String> apply(String base) {
        return perReplica ? host.get().map(h -> base + "-" + h) : Optional.of(base);
    }

    /** The message for a default that cannot be made (see {@link #apply}). */
    static String unknownHostProblem(String example) {
        return "local.sharedGroup needs a distinct client id per replica, but the host name is unknown (HOSTNAME is"
                + " not set and the local host name does not resolve): set HOSTNAME or write clientId, e.g. clientId: "
                + example + "-${REPLICA}";
    }

    /** {@code HOSTNAME}, else the local host's name; reduced to letters, digits, '.', '_' and '-'. */
    static Optional<String> hostName(Function<String, String> environment) {
        String name = environment.apply("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException | SecurityException e) {
                return Optional.empty();
            }
        }
        return Optional.of(sanitise(name)).filter(s -> !s.isEmpty());
    }

    static String sanitise(String hostName) {
        String clean = NOT_ALLOWED.matcher(hostName.trim()).replaceAll("-");
        return clean.length() > MAX_HOST_LENGTH ? clean.substring(0, MAX_HOST_LENGTH) : clean;
    }
}
