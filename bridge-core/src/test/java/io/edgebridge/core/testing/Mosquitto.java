package io.edgebridge.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A real Mosquitto broker process on loopback for tests (Debian package {@code mosquitto}; .ci/run
 * installs it). Persistence is on, so sessions and queued messages survive {@link #stop()} and
 * {@link #start()}; queues are unlimited so a slow test subscriber loses nothing.
 */
public final class Mosquitto implements AutoCloseable {

    private static final String BINARY = findBinary();
    /** What the tests' brokers run with unless told otherwise: nothing queued is ever dropped. */
    private static final String LOSSLESS = String.join("\n",
            "persistence true",
            "autosave_interval 1",
            "max_queued_messages 0",
            "max_inflight_messages 0",
            "set_tcp_nodelay true");

    private final int port;
    private final Path dir;
    private String acl;
    private String extraConfig = "";
    private String secureListener = "";
    private int securePort;
    private String settings = LOSSLESS;
    private Process process;

    public Mosquitto(Path dir) {
        this(dir, Ports.free());
    }

    public Mosquitto(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    private static String findBinary() {
        for (String candidate : List.of("/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Replaces the lossless queue and persistence settings with {@code lines} (e.g. an
     * {@code include_dir} with a shipped configuration, or nothing for Mosquitto's own defaults).
     * Listener, persistence location and logging stay as this class sets them.
     */
    public Mosquitto withSettings(String lines) {
        this.settings = lines;
        return this;
    }

    /** Restricts topics with a Mosquitto ACL file body (e.g. {@code topic deny forbidden/#}). */
    public Mosquitto withAcl(String aclLines) {
        this.acl = aclLines;
        return this;
    }

    /**
     * Adds lines to the configuration, e.g. {@code max_packet_size 65536} (announced to MQTT 5 clients
     * in CONNACK; a larger packet gets its sender disconnected).
     */
    public Mosquitto withConfig(String lines) {
        this.extraConfig = lines;
        return this;
    }

    /**
     * Adds a TLS listener that requires a client certificate signed by {@code ca} and a user name and
     * password from {@code users} (name, password, name, password, ...). The plain listener stays open
     * to anonymous clients, for test recorders.
     */
    public Mosquitto withSecureListener(Path ca, Path serverCert, Path serverKey, String... users) {
        try {
            Files.createDirectories(dir);
            Path passwords = dir.resolve("passwd");
            Files.writeString(passwords, "");
            for (int i = 0; i < users.length; i += 2) {
                Process p = new ProcessBuilder("mosquitto_passwd", "-b", passwords.toString(), users[i], users[i + 1])
                        .redirectErrorStream(true).start();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("mosquitto_passwd failed: " + new String(p.getInputStream().readAllBytes()));
                }
            }
            securePort = Ports.free();
            secureListener = String.join("\n",
                    "listener " + securePort + " 127.0.0.1",
                    "cafile " + ca.toAbsolutePath(),
                    "certfile " + serverCert.toAbsolutePath(),
                    "keyfile " + serverKey.toAbsolutePath(),
                    "require_certificate true",
                    "allow_anonymous false",
                    "password_file " + passwords.toAbsolutePath());
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Adds a TLS listener that requires a client certificate signed by {@code ca} and takes the
     * certificate's common name as the user name, with no password: how AWS IoT Core authenticates a
     * device. The plain listener stays open to anonymous clients, for test recorders.
     */
    public Mosquitto withCertificateListener(Path ca, Path serverCert, Path serverKey) {
        securePort = Ports.free();
        secureListener = String.join("\n",
                "listener " + securePort + " 127.0.0.1",
                "cafile " + ca.toAbsolutePath(),
                "certfile " + serverCert.toAbsolutePath(),
                "keyfile " + serverKey.toAbsolutePath(),
                "require_certificate true",
                "use_identity_as_username true",
                "allow_anonymous false");
        return this;
    }

    public int securePort() {
        return securePort;
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "mqtt://127.0.0.1:" + port;
    }

    public Mosquitto start() {
        if (BINARY == null) {
            throw new IllegalStateException("mosquitto is not installed: run `bash .ci/run` or `apt-get install mosquitto`");
        }
        try {
            Files.createDirectories(dir);
            Path conf = dir.resolve("mosquitto.conf");
            String aclLine = "";
            if (acl != null) {
                Path aclFile = dir.resolve("acl");
                Files.writeString(aclFile, acl + "\n");
                aclLine = "acl_file " + aclFile.toAbsolutePath();
            }
            Files.writeString(conf, String.join("\n",
                    "per_listener_settings " + !secureListener.isEmpty(),
                    aclLine,
                    // Run as root, Mosquitto would switch to user 'mosquitto', which cannot read a
                    // test's private temp dir. Ignored when not started as root.
                    "user " + System.getProperty("user.name"),
                    "listener " + port + " 127.0.0.1",
                    "allow_anonymous true",
                    "persistence_location " + dir.toAbsolutePath() + "/",
                    settings,
                    extraConfig,
                    System.getProperty("mosquitto.debug", "false").equals("true") ? "log_type all" : "",
                    "log_dest file " + dir.toAbsolutePath().resolve("mosquitto.log"),
                    secureListener,
                    ""));
            process = new ProcessBuilder(BINARY, "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile())
                    .start();
            awaitListening(Duration.ofSeconds(10));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening(Duration timeout) {
        Awaitility.await("mosquitto listening on " + port).atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("mosquitto exited with " + process.exitValue() + "; see " + dir);
                    }
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    /** Graceful stop (SIGTERM): Mosquitto saves its persistence file. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() {
        stop();
    }

}
