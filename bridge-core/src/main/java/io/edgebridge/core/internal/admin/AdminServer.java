package io.edgebridge.core.internal.admin;

import io.edgebridge.config.AdminConfig;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP server: one Netty event loop, HTTP/1.x only, bounded in request size, connection
 * count, time to send a request and idle time, so a misbehaving client can neither crash it nor hold
 * it: at the connection limit the connection waiting longest for a request makes room for a new one
 * ({@link ConnectionLimit}), so health probes get in while slow clients hold every connection.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEADER_SIZE = 8192;
    static final int MAX_CONNECTIONS = 64;
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final Tags METER_TAGS = Tags.of("group", "admin-http");

    /**
     * @param maxConnections connections open at once; at the limit the one waiting longest for a
     *                       request is closed to let a new one in
     * @param requestTimeout from opening, or the first byte of a later request, to a complete request head
     * @param idleTimeout    without any traffic (keep-alive connections between requests)
     */
    record Limits(int maxConnections, Duration requestTimeout, Duration idleTimeout) {
        static final Limits DEFAULT = new Limits(MAX_CONNECTIONS, REQUEST_TIMEOUT, IDLE_TIMEOUT);
    }

    private final NioEventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("admin-http", true));
    private final ChannelGroup channels = new DefaultChannelGroup(group.next());
    private final ConnectionLimit limit;
    private final MeterRegistry registry;
    private final Channel server;
    private final InetSocketAddress address;
    private final List<Meter> meters;

    private AdminServer(AdminConfig config, AdminEndpoints endpoints, BridgeMetrics metrics, Limits limits) {
        this.registry = metrics.registry();
        this.limit = new ConnectionLimit(limits.maxConnections(), metrics.adminClosed("limit"));
        Counter timedOut = metrics.adminClosed("request-timeout");
        Counter notReading = metrics.adminClosed("not-reading");
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Answers a client has not read may take this much per connection before it is closed.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(128 * 1024, 256 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline()
                                .addLast(new IdleStateHandler(0, 0, limits.idleTimeout().toMillis(),
                                        TimeUnit.MILLISECONDS))
                                .addLast(new RequestDeadline(limits.requestTimeout(), timedOut))
                                .addLast(new FirstByteCheck())
                                .addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 8192))
                                .addLast(limit)
                                .addLast(new AdminHttpHandler(endpoints, notReading));
                    }
                });
        ChannelFuture bound = bootstrap.bind(config.address(), config.port()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Throwable cause = bound.cause();
            throw new IllegalStateException("the admin server cannot listen on " + config.address() + ":"
                    + config.port() + ": " + (cause.getMessage() == null ? cause.toString() : cause.getMessage())
                    + " (set admin.port, or admin.enabled: false)", cause);
        }
        server = bound.channel();
        address = (InetSocketAddress) server.localAddress();
        Set<Meter.Id> before = eventLoopMeters(registry);
        new NettyEventExecutorMetrics(group, METER_TAGS).bindTo(registry);
        meters = registry.getMeters().stream().filter(m -> isEventLoopMeter(m) && !before.contains(m.getId())).toList();
    }

    /** Starts serving {@code bridge}'s endpoints; fails when the address cannot be bound. */
    public static AdminServer start(AdminConfig config, AdminView bridge) {
        return start(config, bridge, Limits.DEFAULT);
    }

    static AdminServer start(AdminConfig config, AdminView bridge, Limits limits) {
        AdminServer server = new AdminServer(config, new AdminEndpoints(bridge), bridge.metrics(), limits);
        log.atInfo().addKeyValue("address", server.address.getHostString()).addKeyValue("port", server.port())
                .log("admin server listening on {}:{} (/metrics, /health/live, /health/ready, /status)",
                        server.address.getHostString(), server.port());
        return server;
    }

    /** The port bound (the configured one, or the one picked for port 0). */
    public int port() {
        return address.getPort();
    }

    /** Connections open now. */
    public int openConnections() {
        return limit.open();
    }

    /** Closes the listener and every connection, and removes the server's meters. Idempotent. */
    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        meters.forEach(registry::remove);
    }

    private static Set<Meter.Id> eventLoopMeters(MeterRegistry registry) {
        return registry.getMeters().stream().filter(AdminServer::isEventLoopMeter).map(Meter::getId)
                .collect(Collectors.toSet());
    }

    private static boolean isEventLoopMeter(Meter meter) {
        return meter.getId().getName().startsWith("netty.eventexecutor")
                && METER_TAGS.stream().allMatch(t -> t.getValue().equals(meter.getId().getTag(t.getKey())));
    }
}
