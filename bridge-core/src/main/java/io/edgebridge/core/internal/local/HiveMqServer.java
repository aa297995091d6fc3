package io.edgebridge.core.internal.local;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import io.edgebridge.config.BrokerListener;
import io.edgebridge.config.EmbeddedBrokerConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HiveMQ CE server of {@link EmbeddedLocalBroker}: its folders, listeners (TLS stores, and the
 * plain listener the bridge's own session uses), {@code config.xml}, start and stop.
 */
final class HiveMqServer {

    private static final Logger log = LoggerFactory.getLogger(HiveMqServer.class);

    private final EmbeddedBrokerConfig config;
    private final Path dataDir;
    private final Path confDir;
    private final Path extensionsDir;
    private final BrokerConfigXml.Listener own;
    private volatile EmbeddedHiveMQ hivemq;

    private HiveMqServer(EmbeddedBrokerConfig config, Path dataDir, Path confDir, Path extensionsDir,
            BrokerConfigXml.Listener own) {
        this.config = config;
        this.dataDir = dataDir;
        this.confDir = confDir;
        this.extensionsDir = extensionsDir;
        this.own = own;
    }

    /**
     * Checks that every listener's port is free, writes the TLS listeners' stores and
     * {@code config.xml} under the data folder; the server is not started yet.
     */
    static HiveMqServer prepare(EmbeddedBrokerConfig config, SecureRandom random)
            throws IOException, GeneralSecurityException {
        for (BrokerListener listener : config.listeners()) {
            checkPortFree(listener);
        }
        Path dataDir = config.dataDir().toAbsolutePath();
        Path confDir = Files.createDirectories(dataDir.resolve("conf"));
        Path extensionsDir = Files.createDirectories(dataDir.resolve("extensions"));
        List<BrokerConfigXml.Listener> listeners = new ArrayList<>();
        for (int i = 0; i < config.listeners().size(); i++) {
            BrokerListener l = config.listeners().get(i);
            if (l.tls().isEmpty()) {
                listeners.add(BrokerConfigXml.Listener.plain(l.address(), l.port()));
            } else {
                listeners.add(new BrokerConfigXml.Listener(l.address(), l.port(),
                        Optional.of(ListenerStores.write(l.tls().get(), confDir, "listener-" + i, random)),
                        l.tls().get().clientAuth()));
            }
        }
        BrokerConfigXml.Listener own = ownListener(listeners);
        try (OutputStream out = ListenerStores.ownerOnly(confDir.resolve("config.xml"))) {
            out.write(BrokerConfigXml.render(config, listeners).getBytes(StandardCharsets.UTF_8));
        }
        return new HiveMqServer(config, dataDir, confDir, extensionsDir, own);
    }

    /** The plain listener the bridge's own session connects to. */
    BrokerConfigXml.Listener ownListener() {
        return own;
    }

    /** Starts HiveMQ with {@code extension} as its one embedded extension; completes when it listens. */
    CompletableFuture<Void> start(ExtensionMain extension) {
        hivemq = EmbeddedHiveMQ.builder()
                .withConfigurationFolder(confDir)
                .withDataFolder(dataDir)
                .withExtensionsFolder(extensionsDir)
                .withoutLoggingBootstrap()
                .withEmbeddedExtension(EmbeddedExtension.builder()
                        .withId("edgebridge")
                        .withName("EdgeBridge intake and security")
                        .withVersion("1")
                        .withPriority(1000)
                        .withExtensionMain(extension)
                        .build())
                .build();
        String shown = config.listeners().stream().map(BrokerListener::display).collect(Collectors.joining(", "));
        log.atInfo().addKeyValue("listeners", shown)
                .addKeyValue("intake", config.intake().name().toLowerCase(Locale.ROOT))
                .addKeyValue("auth", config.auth().isPresent()).addKeyValue("permissions", config.permissions().isPresent())
                .log("starting embedded broker");
        anonymousWarning(config).ifPresent(warning -> log.atWarn().addKeyValue("listeners", shown).log(warning));
        return hivemq.start()
                .thenRun(() -> log.atInfo().addKeyValue("listeners", shown).log("embedded broker listening"));
    }

    /** Stops and closes HiveMQ if it was started; waits up to 30 s. */
    void stop() {
        EmbeddedHiveMQ broker = hivemq;
        if (broker != null) {
            try {
                broker.stop().get(30, TimeUnit.SECONDS);
                broker.close();
            } catch (Exception e) {
                log.warn("embedded broker did not stop cleanly: {}", e.toString());
            }
        }
    }

    /**
     * The listener the bridge's session uses: the first plain one, or an internal plain listener on
     * 127.0.0.1 (a free port) when every configured listener uses TLS.
     */
    private static BrokerConfigXml.Listener ownListener(List<BrokerConfigXml.Listener> listeners) throws IOException {
        for (BrokerConfigXml.Listener l : listeners) {
            if (l.stores().isEmpty()) {
                return l;
            }
        }
        int port;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = probe.getLocalPort();
        }
        BrokerConfigXml.Listener internal = BrokerConfigXml.Listener.plain("127.0.0.1", port);
        listeners.add(internal);
        log.atInfo().addKeyValue("port", port).log("every listener uses TLS: the bridge's own session uses an"
                + " internal plain listener on 127.0.0.1");
        return internal;
    }

    /** The start-up warning for a broker that takes anonymous clients on a non-loopback address, if due. */
    static Optional<String> anonymousWarning(EmbeddedBrokerConfig config) {
        if (config.auth().isPresent() && !config.auth().get().allowAnonymous()) {
            return Optional.empty();
        }
        List<BrokerListener> exposed = config.listeners().stream().filter(l -> !isLoopback(l)).toList();
        if (exposed.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("embedded broker accepts anonymous clients on "
                + exposed.stream().map(BrokerListener::display).collect(Collectors.joining(", "))
                + "; set local.embedded.auth (see docs/CONFIG.md, Securing the local broker)");
    }

    private static boolean isLoopback(BrokerListener listener) {
        try {
            return InetAddress.getByName(listener.address()).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** HiveMQ only logs a failed bind; fail start-up with a clear message instead. */
    private static void checkPortFree(BrokerListener listener) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(listener.address()), listener.port()));
        } catch (IOException e) {
            throw new IOException("embedded broker cannot listen on " + listener.display() + ": " + e.getMessage()
                    + " (another broker running? change the port in local.embedded)", e);
        }
    }
}
