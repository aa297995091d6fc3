package io.edgebridge.core.internal.mqtt;

import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.TlsConfig;
import io.edgebridge.core.support.BackoffDelays;
import io.edgebridge.core.internal.util.SerialInbox;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.support.TlsFault;
import io.edgebridge.core.support.TlsFaults;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MQTT 3.1.1 / 5 client session on Netty's MQTT codec, built for a bridge: publishes are sent with
 * as many in flight as the broker allows and re-sent after a reconnect until acknowledged; incoming
 * QoS 1/2 messages are acknowledged only when the caller says so, on the connection they came on.
 *
 * <p>All session state lives on one event loop thread. Other threads hand work over through one
 * inbox that the loop drains in a single task, so a burst of publishes or acknowledgements costs one
 * wake-up and one flush.
 */
final class NettyMqttLink implements MqttLink {

    private static final Logger log = LoggerFactory.getLogger(NettyMqttLink.class);
    private static final int NO_LIMIT = 65_535;
    /** Packet identifiers kept free for subscriptions whatever the broker's receive window. */
    private static final int MAX_OUTGOING_IN_FLIGHT = 65_000;
    /**
     * A connection must last this long before the reconnect backoff starts over: a broker that drops
     * the bridge right after each CONNACK then sees the backoff grow, not a reconnect every few ms.
     */
    private static final long STABLE_CONNECTION_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final MqttEndpointConfig endpoint;
    private final String name;
    private final Optional<SslContext> ssl;
    private final LogLimit tlsFaultLog = new LogLimit();
    private final LogLimit lostLog = new LogLimit();
    private final int receiveMaximum;
    private final boolean v5;
    private final EventLoop loop;

    private final SerialInbox inbox;
    private final CompletableFuture<Void> firstConnect = new CompletableFuture<>();
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private volatile Consumer<IncomingMessage> handler = m -> m.ack();
    private volatile boolean connected;
    private volatile boolean closed;

    // ---- loop-thread state
    private final Map<Integer, Flight> inflight = new LinkedHashMap<>();
    private final ArrayDeque<Flight> queued = new ArrayDeque<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final Map<Integer, Subscription> subscribing = new HashMap<>();
    /** Filters to unsubscribe from; sent when connected, kept until the broker acknowledges. */
    private final List<Unsubscription> unsubscriptions = new ArrayList<>();
    private final Map<Integer, Unsubscription> unsubscribing = new HashMap<>();
    private final PacketIds packetIds = new PacketIds();
    private Channel channel;
    private boolean needsFlush;
    private boolean connectStarted;
    private int attempts;
    private long connectedAtNanos;
    private int serverReceiveMaximum = NO_LIMIT;
    private long serverMaximumPacketSize = Long.MAX_VALUE;
    private ScheduledFuture<?> pendingReconnect;
    /**
     * Counts the broker sessions this link has had: it grows with every CONNACK without a session
     * present. With a packet identifier it names an incoming message for as long as it is
     * unacknowledged (see {@link IncomingMessage#sessionKey()}).
     */
    private long sessionEpoch;
    /** Why the broker refused the last connection, for the reconnect log line. */
    private String refusedReason;

    NettyMqttLink(MqttEndpointConfig endpoint, String name, Optional<SslContext> ssl, int receiveMaximum) {
        this.endpoint = endpoint;
        this.name = name;
        this.ssl = ssl;
        this.receiveMaximum = receiveMaximum;
        this.v5 = endpoint.version() == MqttEndpointConfig.MqttVersion.V5;
        this.loop = MqttEventLoops.next();
        this.inbox = new SerialInbox(loop, this::flushIfNeeded);
    }

    // ------------------------------------------------------------------ public API (any thread)

    @Override
    public void onMessage(Consumer<IncomingMessage> handler) {
        this.handler = handler;
    }

    @Override
    public CompletableFuture<Void> connect() {
        submit(() -> {
            if (!connectStarted && !closed) {
                connectStarted = true;
                openConnection();
            }
        });
        return firstConnect;
    }

    @Override
    public CompletableFuture<Void> subscribe(List<String> filters, boolean noLocal) {
        if (filters.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Subscription subscription = new Subscription(List.copyOf(filters), noLocal && v5);
        submit(() -> {
            subscriptions.add(subscription);
            if (connected) {
                sendSubscribe(subscription);
            }
        });
        return subscription.acknowledged;
    }

    @Override
    public CompletableFuture<Void> unsubscribe(List<String> filters) {
        if (filters.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Unsubscription unsubscription = new Unsubscription(List.copyOf(filters));
        submit(() -> {
            List<Subscription> kept = new ArrayList<>();
            for (Subscription s : subscriptions) {
                if (!s.acknowledged.isDone() || s.acknowledged.isCompletedExceptionally()) {
                    kept.add(s); // a SUBSCRIBE still open: the UNSUBSCRIBE follows it on the wire
                    continue;
                }
                List<String> remaining = s.filters.stream().filter(f -> !filters.contains(f)).toList();
                if (!remaining.isEmpty()) {
                    Subscription rest = new Subscription(remaining, s.noLocal);
                    rest.acknowledged.complete(null);
                    kept.add(rest);
                }
            }
            subscriptions.clear();
            subscriptions.addAll(kept);
            unsubscriptions.add(unsubscription);
            if (connected) {
                sendUnsubscribe(unsubscription);
            }
        });
        return unsubscription.acknowledged;
    }

    @Override
    public CompletableFuture<Void> publish(OutgoingMessage message) {
        // Refused here, before it could reach the wire: a malformed packet costs the whole connection,
        // and an unacknowledged one is sent again after every reconnect.
        long size = PublishPacket.size(message, v5);
        Optional<String> problem = PublishPacket.problem(message, v5, size);
        if (problem.isPresent()) {
            return CompletableFuture.failedFuture(new InvalidPublishException(problem.get()));
        }
        Flight flight = new Flight(message, size);
        submit(() -> enqueue(flight));
        return flight.done;
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public boolean supportsUserProperties() {
        return v5;
    }

    @Override
    public CompletableFuture<Void> disconnect() {
        submit(this::close);
        return closedFuture;
    }

    // ------------------------------------------------------------------ inbox

    private void submit(Runnable task) {
        inbox.submit(task);
    }

    private void write(MqttMessage message) {
        channel.write(message, channel.voidPromise());
        needsFlush = true;
    }

    private void flushIfNeeded() {
        if (needsFlush && channel != null) {
            needsFlush = false;
            channel.flush();
        }
    }

    // ------------------------------------------------------------------ connecting

    private void openConnection() {
        pendingReconnect = null;
        if (closed) {
            return;
        }
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) endpoint.connectTimeout().toMillis())
                .handler(new MqttChannelInitializer(endpoint, ssl, this));
        ChannelFuture connecting = bootstrap.connect(endpoint.host(), endpoint.port());
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                connectionLost(connecting.channel(), f.cause());
            }
        });
    }

    /** Called by the channel handler once TCP (and TLS) is up: send CONNECT. */
    void channelReady(Channel ch) {
        if (closed) {
            ch.close();
            return;
        }
        channel = ch;
        MqttMessageBuilders.ConnectBuilder connect = MqttMessageBuilders.connect()
                .protocolVersion(v5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1)
                .clientId(endpoint.clientId())
                .cleanSession(endpoint.sessionExpiry().isZero())
                .keepAlive((int) endpoint.keepAlive().toSeconds());
        if (endpoint.username().isPresent()) {
            connect.hasUser(true).username(endpoint.username().get());
        }
        if (endpoint.password().isPresent()) {
            connect.hasPassword(true).password(endpoint.password().get().reveal().getBytes(StandardCharsets.UTF_8));
        }
        if (v5) {
            MqttProperties properties = new MqttProperties();
            long expiry = Math.min(endpoint.sessionExpiry().toSeconds(), 0xFFFF_FFFFL);
            properties.add(new MqttProperties.IntegerProperty(
                    MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), (int) expiry));
            properties.add(new MqttProperties.IntegerProperty(
                    MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value(), receiveMaximum));
            connect.properties(properties);
        }
        write(connect.build());
        flushIfNeeded();
        ch.eventLoop().schedule(() -> {
            if (channel == ch && !connected) {
                log.atDebug().addKeyValue("link", name).log("no CONNACK in time");
                ch.close();
            }
        }, endpoint.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    void onConnAck(Channel ch, MqttConnAckMessage ack) {
        if (ch != channel) {
            return;
        }
        MqttConnectReturnCode code = ack.variableHeader().connectReturnCode();
        if (code != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            refusedReason = "broker refused the connection: " + code.name().replace("CONNECTION_REFUSED_", "");
            ch.close();
            return;
        }
        connected = true;
        connectedAtNanos = System.nanoTime();
        refusedReason = null;
        boolean sessionPresent = ack.variableHeader().isSessionPresent();
        if (!sessionPresent) {
            sessionEpoch++;
        }
        MqttProperties properties = ack.variableHeader().properties();
        serverReceiveMaximum = intProperty(properties, MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM, NO_LIMIT);
        serverMaximumPacketSize = intProperty(properties, MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE, -1) > 0
                ? intProperty(properties, MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE, -1) & 0xFFFF_FFFFL
                : Long.MAX_VALUE;
        log.atInfo().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri())
                .log("connected ({}{})", v5 ? "MQTT 5" : "MQTT 3.1.1", sessionPresent ? ", session resumed" : "");
        for (Subscription s : subscriptions) {
            if (!sessionPresent || !s.acknowledged.isDone()) {
                sendSubscribe(s);
            }
        }
        for (Unsubscription u : List.copyOf(unsubscriptions)) {
            if (sessionPresent) {
                sendUnsubscribe(u);
            } else {
                unsubscriptions.remove(u); // a new session has no subscriptions to remove
                u.acknowledged.complete(null);
            }
        }
        resendInflight(sessionPresent);
        sendQueued();
        flushIfNeeded();
        firstConnect.complete(null);
    }

    void connectionLost(Channel ch, Throwable cause) {
        if (ch != null && channel != null && ch != channel) {
            return; // an old connection
        }
        boolean wasConnected = connected;
        connected = false;
        channel = null;
        needsFlush = false;
        subscribing.clear();
        unsubscribing.clear();
        if (closed) {
            return;
        }
        String why = refusedReason != null ? refusedReason : describe(cause);
        refusedReason = null;
        if (wasConnected && System.nanoTime() - connectedAtNanos >= STABLE_CONNECTION_NANOS) {
            attempts = 0;
        }
        long delay = BackoffDelays.millis(endpoint.reconnect(), attempts);
        Optional<TlsFault> tls = endpoint.tls() && cause != null ? TlsFaults.classify(cause, tlsFiles()) : Optional.empty();
        if (tls.isPresent()) {
            // A TLS fault repeats until someone changes a file or the server: one line per kind and interval.
            LogLimit.Pass pass = tlsFaultLog.admit(tls.get().kind().name());
            if (pass.logs()) {
                log.atWarn().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri())
                        .addKeyValue("tlsFault", tls.get().kind()).addKeyValue("attempt", attempts + 1)
                        .log("cannot connect: {}; retrying, next in {} ms{}", tls.get().message(), delay, pass.suffix());
            }
        } else if (wasConnected || attempts == 0) {
            // A broker that drops the link right after each CONNACK would repeat this: one line per reason and interval.
            LogLimit.Pass pass = lostLog.admit(why);
            if (pass.logs()) {
                log.atWarn().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri())
                        .log("{} ({}); reconnecting in {} ms{}", wasConnected ? "disconnected" : "cannot connect", why,
                                delay, pass.suffix());
            }
        } else {
            log.atInfo().addKeyValue("link", name).addKeyValue("broker", endpoint.displayUri())
                    .log("connect attempt {} failed ({}); next in {} ms", attempts + 1, why, delay);
        }
        attempts++;
        pendingReconnect = loop.schedule(this::openConnection, delay, TimeUnit.MILLISECONDS);
    }

    private TlsFaults.Files tlsFiles() {
        return new TlsFaults.Files(endpoint.host(), endpoint.tlsFiles().flatMap(TlsConfig::ca),
                endpoint.tlsFiles().flatMap(TlsConfig::certificate));
    }

    static String describe(Throwable cause) {
        if (cause == null) {
            return "connection closed";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        connected = false;
        if (pendingReconnect != null) {
            pendingReconnect.cancel(false);
        }
        MqttConnectionException gone = new MqttConnectionException("link " + name + " closed");
        for (Flight f : inflight.values()) {
            f.done.completeExceptionally(gone);
        }
        inflight.clear();
        for (Flight f : queued) {
            f.done.completeExceptionally(gone);
        }
        queued.clear();
        for (Subscription s : subscriptions) {
            s.acknowledged.completeExceptionally(gone);
        }
        for (Unsubscription u : unsubscriptions) {
            u.acknowledged.completeExceptionally(gone);
        }
        firstConnect.completeExceptionally(gone);
        Channel ch = channel;
        channel = null;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(MqttMessageBuilders.disconnect().build()).addListener(f -> ch.close());
            ch.closeFuture().addListener(f -> closedFuture.complete(null));
        } else {
            closedFuture.complete(null);
        }
    }

    // ------------------------------------------------------------------ publishing

    private void enqueue(Flight flight) {
        if (closed) {
            flight.done.completeExceptionally(new MqttConnectionException("link " + name + " closed"));
            return;
        }
        queued.addLast(flight);
        if (connected) {
            sendQueued();
        }
    }

    /** Sends queued publishes while the broker's receive window has room. */
    private void sendQueued() {
        while (connected && !queued.isEmpty()) {
            Flight flight = queued.peekFirst();
            if (flight.message.qos() > 0 && inflight.size() >= Math.min(serverReceiveMaximum, MAX_OUTGOING_IN_FLIGHT)) {
                return;
            }
            queued.pollFirst();
            if (flight.withdrawn()) {
                continue; // the caller gave up on it before it was sent: it never reaches the broker
            }
            if (tooLarge(flight)) {
                continue;
            }
            if (flight.message.qos() == 0) {
                write(flight.toPublish(0, false, v5));
                flight.done.complete(null);
            } else {
                flight.packetId = packetIds.next(inflight);
                inflight.put(flight.packetId, flight);
                write(flight.toPublish(flight.packetId, false, v5));
            }
        }
    }

    private void resendInflight(boolean sessionPresent) {
        // Beyond a smaller receive window after the reconnect, flights go back to the queue.
        List<Flight> flights = new ArrayList<>(inflight.values());
        inflight.clear();
        for (int i = flights.size() - 1; i >= serverReceiveMaximum; i--) {
            queued.addFirst(flights.remove(i));
        }
        for (Flight flight : flights) {
            if (flight.withdrawn() && flight.message.qos() == 1) {
                // Given up by the caller while unacknowledged: a QoS 1 publish leaves no state at the
                // broker, so it is not sent again (the broker may or may not have taken the first one).
                continue;
            }
            if (!flight.released && tooLarge(flight)) {
                continue; // this connection's broker takes smaller packets than the last one did
            }
            inflight.put(flight.packetId, flight);
            if (flight.released) {
                write(pubRel(flight.packetId));
            } else {
                write(flight.toPublish(flight.packetId, sessionPresent, v5));
            }
        }
    }

    /** Fails {@code flight} if it is larger than the broker takes (its CONNACK's Maximum Packet Size). */
    private boolean tooLarge(Flight flight) {
        if (flight.size <= serverMaximumPacketSize) {
            return false;
        }
        flight.done.completeExceptionally(new PacketTooLargeException(flight.size, serverMaximumPacketSize));
        return true;
    }

    void onPubAck(Channel ch, MqttMessage ack) {
        int id = ((MqttMessageIdVariableHeader) ack.variableHeader()).messageId();
        Flight flight = inflight.remove(id);
        if (flight == null) {
            return;
        }
        int reason = reasonCode(ack);
        if (reason >= 0x80) {
            flight.done.completeExceptionally(new PublishRejectedException(reason,
                    MqttReasonCodes.PubAck.valueOf((byte) reason).name()));
        } else {
            flight.done.complete(null);
        }
        sendQueued();
    }

    void onPubRec(Channel ch, MqttMessage rec) {
        int id = ((MqttMessageIdVariableHeader) rec.variableHeader()).messageId();
        Flight flight = inflight.get(id);
        int reason = reasonCode(rec);
        if (flight == null) {
            write(pubRel(id)); // the broker still holds it: let it finish
            return;
        }
        if (reason >= 0x80) {
            inflight.remove(id);
            flight.done.completeExceptionally(new PublishRejectedException(reason,
                    MqttReasonCodes.PubRec.valueOf((byte) reason).name()));
            sendQueued();
            return;
        }
        flight.released = true;
        write(pubRel(id));
    }

    void onPubComp(Channel ch, MqttMessage comp) {
        int id = ((MqttMessageIdVariableHeader) comp.variableHeader()).messageId();
        Flight flight = inflight.remove(id);
        if (flight != null) {
            flight.done.complete(null);
            sendQueued();
        }
    }

    private static int reasonCode(MqttMessage reply) {
        if (reply.variableHeader() instanceof MqttPubReplyMessageVariableHeader header) {
            return header.reasonCode() & 0xFF;
        }
        return 0;
    }

    private static MqttMessage pubRel(int id) {
        return new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREL, false, MqttQoS.AT_LEAST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(id));
    }

    // ------------------------------------------------------------------ subscribing

    private void sendSubscribe(Subscription subscription) {
        int id = packetIds.next(inflight, subscribing, unsubscribing);
        subscribing.put(id, subscription);
        MqttMessageBuilders.SubscribeBuilder subscribe = MqttMessageBuilders.subscribe().messageId(id);
        for (String filter : subscription.filters) {
            subscribe.addSubscription(filter, new MqttSubscriptionOption(MqttQoS.AT_LEAST_ONCE, subscription.noLocal,
                    false, MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE));
        }
        write(subscribe.build());
    }

    void onSubAck(Channel ch, MqttSubAckMessage ack) {
        Subscription subscription = subscribing.remove(ack.variableHeader().messageId());
        if (subscription == null) {
            return;
        }
        List<Integer> codes = ack.payload().reasonCodes();
        for (int i = 0; i < codes.size(); i++) {
            if (codes.get(i) >= 0x80) {
                String filter = i < subscription.filters.size() ? subscription.filters.get(i) : "?";
                subscription.acknowledged.completeExceptionally(new IllegalStateException("broker "
                        + endpoint.displayUri() + " refused the subscription '" + filter + "' (reason code 0x"
                        + Integer.toHexString(codes.get(i)) + ")"));
                return;
            }
        }
        subscription.acknowledged.complete(null);
    }

    private void sendUnsubscribe(Unsubscription unsubscription) {
        int id = packetIds.next(inflight, subscribing, unsubscribing);
        unsubscribing.put(id, unsubscription);
        MqttMessageBuilders.UnsubscribeBuilder unsubscribe = MqttMessageBuilders.unsubscribe().messageId(id);
        unsubscription.filters.forEach(unsubscribe::addTopicFilter);
        write(unsubscribe.build());
    }

    void onUnsubAck(Channel ch, MqttMessage ack) {
        if (!(ack.variableHeader() instanceof MqttMessageIdVariableHeader header)) {
            return;
        }
        Unsubscription unsubscription = unsubscribing.remove(header.messageId());
        if (unsubscription != null) {
            // A "no subscription existed" reason code is fine: either way the filters are gone.
            unsubscriptions.remove(unsubscription);
            unsubscription.acknowledged.complete(null);
        }
    }

    // ------------------------------------------------------------------ receiving

    void onPublish(Channel ch, MqttPublishMessage publish) {
        int qos = publish.fixedHeader().qosLevel().value();
        int id = publish.variableHeader().packetId();
        byte[] payload = ByteBufUtil.getBytes(publish.payload());
        Map<String, String> userProperties = Map.of();
        Optional<String> contentType = Optional.empty();
        Optional<byte[]> correlationData = Optional.empty();
        if (v5) {
            MqttProperties properties = publish.variableHeader().properties();
            MqttProperties.MqttProperty<?> correlation =
                    properties.getProperty(MqttProperties.MqttPropertyType.CORRELATION_DATA.value());
            if (correlation != null && correlation.value() instanceof byte[] bytes) {
                correlationData = Optional.of(bytes);
            }
            List<? extends MqttProperties.MqttProperty> users =
                    properties.getProperties(MqttProperties.MqttPropertyType.USER_PROPERTY.value());
            if (!users.isEmpty()) {
                userProperties = new LinkedHashMap<>();
                for (MqttProperties.MqttProperty<?> p : users) {
                    collectUserProperties(p, userProperties);
                }
            }
            MqttProperties.MqttProperty<?> type = properties.getProperty(MqttProperties.MqttPropertyType.CONTENT_TYPE.value());
            if (type != null) {
                contentType = Optional.of((String) type.value());
            }
        }
        Runnable acknowledger = qos == 0 ? () -> { } : () -> submit(() -> {
            if (channel == ch && ch.isActive()) {
                write(qos == 1 ? MqttMessageBuilders.pubAck().packetId(id).build() : pubRec(id));
            }
        });
        Optional<String> sessionKey = qos == 0 ? Optional.empty() : Optional.of(sessionEpoch + ":" + id);
        handler.accept(new IncomingMessage(publish.variableHeader().topicName(), payload, qos,
                publish.fixedHeader().isRetain(), userProperties, contentType, correlationData, sessionKey,
                acknowledger));
    }

    @SuppressWarnings("unchecked")
    private static void collectUserProperties(MqttProperties.MqttProperty<?> property, Map<String, String> into) {
        Object value = property.value();
        if (value instanceof MqttProperties.StringPair pair) {
            into.put(pair.key, pair.value);
        } else if (value instanceof List<?> pairs) {
            for (MqttProperties.StringPair pair : (List<MqttProperties.StringPair>) pairs) {
                into.put(pair.key, pair.value);
            }
        }
    }

    private static MqttMessage pubRec(int id) {
        return new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREC, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(id));
    }

    void onPubRel(Channel ch, MqttMessage rel) {
        int id = ((MqttMessageIdVariableHeader) rel.variableHeader()).messageId();
        write(new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBCOMP, false, MqttQoS.AT_MOST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(id)));
    }

    void onServerDisconnect(Channel ch, MqttMessage disconnect) {
        int reason = disconnect.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader header
                ? header.reasonCode() & 0xFF : 0;
        refusedReason = "broker sent DISCONNECT" + (reason != 0 ? " (reason code 0x" + Integer.toHexString(reason)
                + disconnectReasonName(reason) + ")" : "");
        ch.close();
    }

    private static String disconnectReasonName(int reason) {
        try {
            return " " + MqttReasonCodes.Disconnect.valueOf((byte) reason).name();
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    /** After the channel handler processed a batch of reads. */
    void readComplete(Channel ch) {
        if (ch == channel) {
            flushIfNeeded();
        }
    }

    void sendPing(Channel ch) {
        if (ch == channel) {
            write(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
            flushIfNeeded();
        }
    }

    private static int intProperty(MqttProperties properties, MqttProperties.MqttPropertyType type, int fallback) {
        MqttProperties.MqttProperty<?> p = properties.getProperty(type.value());
        return p == null ? fallback : (Integer) p.value();
    }

    // ------------------------------------------------------------------ state records

    /** One outgoing publish until the broker acknowledged it (or the link closed). */
    private static final class Flight {
        final OutgoingMessage message;
        /** The encoded PUBLISH's size, for the broker's Maximum Packet Size. */
        final long size;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        int packetId;
        boolean released;

        Flight(OutgoingMessage message, long size) {
            this.message = message;
            this.size = size;
        }

        /** Cancelled by the caller ({@link MqttLink#publish}'s future) before the broker acknowledged it. */
        boolean withdrawn() {
            return done.isCancelled();
        }

        MqttPublishMessage toPublish(int id, boolean dup, boolean v5) {
            return PublishPacket.build(message, id, dup, v5);
        }
    }

    /** One SUBSCRIBE request; re-sent after a reconnect that lost the session. */
    private static final class Subscription {
        final List<String> filters;
        final boolean noLocal;
        final CompletableFuture<Void> acknowledged = new CompletableFuture<>();

        Subscription(List<String> filters, boolean noLocal) {
            this.filters = filters;
            this.noLocal = noLocal;
        }
    }

    /** One UNSUBSCRIBE request; re-sent after a reconnect that resumed the session. */
    private static final class Unsubscription {
        final List<String> filters;
        final CompletableFuture<Void> acknowledged = new CompletableFuture<>();

        Unsubscription(List<String> filters) {
            this.filters = filters;
        }
    }

    /** Packet identifiers 1..65535, skipping those in use. */
    private static final class PacketIds {
        private int last;

        @SafeVarargs
        final int next(Map<Integer, ?>... inUse) {
            for (int tries = 0; tries < 65_535; tries++) {
                last = last == 65_535 ? 1 : last + 1;
                boolean free = true;
                for (Map<Integer, ?> map : inUse) {
                    if (map.containsKey(last)) {
                        free = false;
                        break;
                    }
                }
                if (free) {
                    return last;
                }
            }
            throw new IllegalStateException("no free MQTT packet identifier");
        }
    }
}
