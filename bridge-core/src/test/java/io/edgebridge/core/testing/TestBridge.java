package io.edgebridge.core.testing;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.core.internal.Bridge;
import io.edgebridge.core.internal.SinkFactories;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * EdgeBridge in the test JVM, configured from YAML text, with access to its meters (a Prometheus
 * registry, as {@code edgebridge run} uses). Unless the YAML has an {@code admin} section, the
 * admin server listens on a free port ({@code admin: {port: 0}}), so tests never collide on 9090.
 */
public final class TestBridge implements AutoCloseable {

    private static final Pattern ADMIN_SECTION = Pattern.compile("^admin:", Pattern.MULTILINE);

    private final Bridge bridge;
    private final Path file;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private TestBridge(BridgeConfig config, Path file) {
        this.bridge = new Bridge(config, SinkFactories.load(), registry);
        this.file = file;
    }

    /** Writes {@code yaml} to {@code dir/edgebridge.yaml}, loads it and starts the bridge. */
    public static TestBridge start(Path dir, String yaml) throws Exception {
        Files.createDirectories(dir);
        Path file = dir.resolve("edgebridge.yaml");
        Files.writeString(file, withEphemeralAdminPort(yaml));
        BridgeConfig config = new ConfigLoader(SinkFactories.load()).load(file);
        TestBridge test = new TestBridge(config, file);
        test.bridge.start(); // returns once intake is live: devices may publish right away
        return test;
    }

    /** {@code yaml} with {@code admin: {port: 0}} appended unless it configures {@code admin} itself. */
    public static String withEphemeralAdminPort(String yaml) {
        if (ADMIN_SECTION.matcher(yaml).find()) {
            return yaml;
        }
        return yaml + (yaml.endsWith("\n") ? "" : "\n") + "admin:\n  port: 0\n";
    }

    /** The port of the admin server. */
    public int adminPort() {
        return bridge.adminPort().orElseThrow(() -> new IllegalStateException("the admin server is not running"));
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public Bridge bridge() {
        return bridge;
    }

    /** The configuration file (rewrite it to test reloading). */
    public Path file() {
        return file;
    }

    /** Rewrites the configuration file with {@code yaml}, loads it and applies it to the running bridge. */
    public Bridge.ReloadResult reload(String yaml) throws Exception {
        Files.writeString(file, withEphemeralAdminPort(yaml));
        return bridge.apply(new ConfigLoader(SinkFactories.load()).load(file));
    }

    /** Sum of the counters named {@code name} with the given tag pairs. */
    public double count(String name, String... tags) {
        Search search = registry.find(name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        return search.counters().stream().mapToDouble(Counter::count).sum();
    }

    /** Cloud messages the sinks handed to the bridge: first deliveries and redeliveries. */
    public double downstreamHandedOver() {
        return count("edgebridge.messages.received", "direction", "downstream")
                + count("edgebridge.messages.redelivered", "direction", "downstream");
    }

    /** Whether sink {@code name} reports a connection now (its {@code edgebridge.sink.connected} gauge). */
    public boolean sinkConnected(String name) {
        var gauge = registry.find("edgebridge.sink.connected").tag("sink", name).gauge();
        return gauge != null && gauge.value() == 1;
    }

    @Override
    public void close() {
        bridge.stop();
    }
}
