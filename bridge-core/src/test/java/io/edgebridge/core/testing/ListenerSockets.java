package io.edgebridge.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The server side of a listener's TCP connections, read from Linux's {@code /proc/net/tcp} and
 * {@code tcp6}: how many connections accepted on a local port are still held open by the server
 * (established, or closed by the client and not yet by the server). A fault test checks that what a
 * hostile client opened was released.
 */
public final class ListenerSockets {

    private static final String ESTABLISHED = "01";
    private static final String CLOSE_WAIT = "08";

    private ListenerSockets() {
    }

    /** Connections on local port {@code port} that the server still holds (ESTABLISHED or CLOSE_WAIT). */
    public static int held(int port) {
        String localPort = String.format(":%04X", port);
        int held = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path file = Path.of(table);
            if (!Files.exists(file)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(file)) {
                    String[] fields = line.trim().split("\\s+");
                    // sl local_address rem_address st ...
                    if (fields.length > 3 && fields[1].endsWith(localPort)
                            && (fields[3].equals(ESTABLISHED) || fields[3].equals(CLOSE_WAIT))) {
                        held++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return held;
    }
}
