package io.edgebridge.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * EdgeBridge in its own JVM ({@code Main run --config ...} on the test class path), so tests can
 * SIGKILL it or SIGTERM it like an operator would. A config file without an {@code admin} section
 * gets {@code admin: {port: 0}} appended, so parallel runs never collide on port 9090; the port
 * bound is in the log ({@link #adminPort()}).
 */
public final class BridgeProcess implements AutoCloseable {

    private final Path config;
    private final Path log;
    private final List<String> jvmArgs;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Process process;
    private long logOffset;

    public BridgeProcess(Path config, Path log, String... jvmArgs) {
        this.config = config;
        this.log = log;
        this.jvmArgs = List.of(jvmArgs);
    }

    /** Sets an environment variable of the process (for {@code ${NAME}} in the config, or HOSTNAME). */
    public BridgeProcess withEnvironment(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public BridgeProcess start() {
        try {
            if (Files.isRegularFile(config)) {
                String yaml = Files.readString(config);
                String adjusted = TestBridge.withEphemeralAdminPort(yaml);
                if (!adjusted.equals(yaml)) {
                    Files.writeString(config, adjusted);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.edgebridge.core.cli.Main");
        command.add("run");
        command.add("--config");
        command.add(config.toString());
        try {
            logOffset = Files.exists(log) ? Files.size(log) : 0;
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Waits until the log says the bridge started. */
    public BridgeProcess awaitStarted(Duration timeout) {
        Awaitility.await("EdgeBridge process to start (log: " + log + ")").atMost(timeout)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("EdgeBridge exited with " + process.exitValue() + ":\n" + logText());
                    }
                    return logText().substring((int) Math.min(logOffset, logText().length())).contains("EdgeBridge started");
                });
        return this;
    }

    /** The admin server's port, from the newest "admin server listening" line of this run's log. */
    public int adminPort() {
        String text = logText();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("admin server listening on [^ ]+:(\\d+)")
                .matcher(text.substring((int) Math.min(logOffset, text.length())));
        int port = -1;
        while (m.find()) {
            port = Integer.parseInt(m.group(1));
        }
        if (port < 0) {
            throw new IllegalStateException("no admin server in the log " + log);
        }
        return port;
    }

    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no flush; like a power cut for everything not yet on disk. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM; returns the exit code, or -1 if it did not exit within {@code timeout}. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return process.exitValue();
        }
        return -1;
    }

    /** Waits for the process to exit by itself; returns the exit code, or -1 if it still runs after {@code timeout}. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return process.exitValue();
        }
        return -1;
    }

    /** WARN and ERROR lines this run (since the last {@link #start()}) has logged so far. */
    public long warnAndErrorLines() {
        String text = logText();
        return text.substring((int) Math.min(logOffset, text.length())).lines()
                .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).count();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
