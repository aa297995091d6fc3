package io.edgebridge.gcp;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import io.edgebridge.gcp.GcpPubSubOptions.Cloud;
import io.edgebridge.gcp.GcpPubSubOptions.Emulator;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gRPC channel to Pub/Sub (or the emulator) with its credentials and a small thread pool,
 * shared by every publisher and the subscriber of a sink. The channel belongs to the sink, not
 * to the client library (a fixed channel provider is never closed by the clients), so its state
 * tells whether the sink is connected.
 */
final class PubSubConnection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PubSubConnection.class);
    private static final int THREADS = Math.max(4, Runtime.getRuntime().availableProcessors());
    private static final java.time.Duration REPEAT_WARNING = java.time.Duration.ofMinutes(1);

    private final ManagedChannel channel;
    private final CredentialsProvider credentials;
    private final ScheduledThreadPoolExecutor executor;
    private final String display;

    private PubSubConnection(ManagedChannel channel, CredentialsProvider credentials,
            ScheduledThreadPoolExecutor executor, String display) {
        this.channel = channel;
        this.credentials = credentials;
        this.executor = executor;
        this.display = display;
    }

    /**
     * Reads the credentials and creates the channel (it connects on first use, or at
     * {@link #connect()}). The credentials' keys are never logged or put in messages.
     */
    static PubSubConnection open(String sink, GcpPubSubOptions.Connection connection) throws IOException {
        ManagedChannel channel;
        CredentialsProvider credentials;
        String display;
        if (connection instanceof Emulator emulator) {
            // The emulator speaks plaintext and takes no credentials; the Java client does not read
            // PUBSUB_EMULATOR_HOST by itself.
            channel = NettyChannelBuilder.forTarget(emulator.hostPort()).usePlaintext()
                    .maxInboundMessageSize(Integer.MAX_VALUE).idleTimeout(30, TimeUnit.DAYS)
                    .userAgent("edgebridge").build();
            credentials = NoCredentialsProvider.create();
            display = "emulator " + emulator.hostPort();
        } else {
            Cloud cloud = (Cloud) connection;
            GoogleCredentials google = cloud.credentialsFile().isPresent()
                    ? serviceAccount(cloud) : GoogleCredentials.getApplicationDefault();
            if (google instanceof ServiceAccountCredentials account) {
                // As the client library does by default: a self-signed JWT, no token exchange.
                google = account.createWithUseJwtAccessWithScope(true);
            }
            if (google.createScopedRequired()) {
                google = google.createScoped(TopicAdminSettings.getDefaultServiceScopes());
            }
            credentials = FixedCredentialsProvider.create(google);
            NettyChannelBuilder builder = NettyChannelBuilder.forTarget(cloud.endpoint())
                    .maxInboundMessageSize(Integer.MAX_VALUE).idleTimeout(30, TimeUnit.DAYS)
                    .keepAliveTime(60, TimeUnit.SECONDS).userAgent("edgebridge");
            if (cloud.ca().isPresent()) {
                builder.sslContext(GrpcSslContexts.forClient().trustManager(cloud.ca().get().toFile()).build());
            }
            channel = builder.build();
            display = cloud.endpoint() + " as " + (google instanceof ServiceAccountCredentials account
                    ? account.getClientEmail() : "application default credentials");
        }
        AtomicInteger threads = new AtomicInteger();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(THREADS, r -> {
            Thread t = new Thread(r, "edgebridge-gcp-" + sink + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return new PubSubConnection(channel, credentials, executor, display);
    }

    private static GoogleCredentials serviceAccount(Cloud cloud) throws IOException {
        try (InputStream in = Files.newInputStream(cloud.credentialsFile().orElseThrow())) {
            return ServiceAccountCredentials.fromStream(in);
        } catch (IOException e) {
            // The library's message names fields, never their values; still, keep it to the file name.
            throw new IOException("cannot read the service-account key " + cloud.credentialsFile().get()
                    + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Who connects where, for logs: endpoint and service-account e-mail, never a key. */
    String display() {
        return display;
    }

    TransportChannelProvider channelProvider() {
        return FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    }

    CredentialsProvider credentials() {
        return credentials;
    }

    ScheduledExecutorService executor() {
        return executor;
    }

    /**
     * Starts connecting now rather than at the first call, and logs the channel's ups and downs
     * (the library retries failed calls silently): a warning when it cannot connect (again every
     * {@link #REPEAT_WARNING} while that lasts), the reconnection at info.
     */
    void connect(String sink) {
        watch(sink, channel.getState(true), false, 0);
    }

    private void watch(String sink, ConnectivityState state, boolean wasReady, long lastWarnNanos) {
        if (state == ConnectivityState.SHUTDOWN) {
            return;
        }
        boolean ready = state == ConnectivityState.READY;
        long warned = lastWarnNanos;
        if (ready && !wasReady) {
            log.atInfo().addKeyValue("sink", sink).log("connected to Google Cloud Pub/Sub at {}", display);
        } else if (state == ConnectivityState.TRANSIENT_FAILURE
                && (wasReady || warned == 0 || System.nanoTime() - warned >= REPEAT_WARNING.toNanos())) {
            warned = System.nanoTime();
            log.atWarn().addKeyValue("sink", sink).log("cannot connect to Google Cloud Pub/Sub at {}; the client"
                    + " keeps retrying, messages wait in the spool", display);
        }
        boolean nowReady = ready || (wasReady && state != ConnectivityState.TRANSIENT_FAILURE);
        long w = warned;
        channel.notifyWhenStateChanged(state, () -> watch(sink, channel.getState(false), nowReady, w));
    }

    /** Whether the channel has a transport up (READY); it reconnects by itself after a failure. */
    boolean ready() {
        return channel.getState(false) == ConnectivityState.READY;
    }

    /** Ends every call and the threads; bounded. */
    @Override
    public void close() {
        channel.shutdownNow();
        executor.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
