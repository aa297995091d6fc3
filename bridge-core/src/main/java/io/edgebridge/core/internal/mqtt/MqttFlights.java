package io.edgebridge.core.internal.mqtt;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Outgoing publishes of a link: a queue, the QoS 1/2 flights by packet identifier within the
 * broker's Receive Maximum, PUBACK/PUBREC/PUBCOMP, and the re-send of unacknowledged ones on the next
 * connection. Nothing is written while the channel is not writable, so a slow broker holds publishes
 * here, unencoded, rather than in Netty's outbound buffer; a QoS 0 publish completes once written.
 *
 * <p>One instance per link, added to each of its connections in turn; state on the link's event loop.
 */
@ChannelHandler.Sharable
final class MqttFlights extends ChannelInboundHandlerAdapter {

    /** Packet identifiers kept free for subscriptions whatever the broker's receive window. */
    static final int MAX_OUTGOING_IN_FLIGHT = 65_000;

    private final String name;
    private final boolean v5;
    private final PacketIds packetIds;
    private final Executor loop;

    private final Map<Integer, Flight> inflight = new LinkedHashMap<>();
    /** Not yet sent: waiting for the connection, the receive window or writability. */
    private final ArrayDeque<Flight> queued = new ArrayDeque<>();
    /** In flight from an earlier connection and not yet sent again on this one. */
    private final ArrayDeque<Flight> resend = new ArrayDeque<>();
    /** QoS 0 publishes written on this connection whose write has not completed, in write order. */
    private final ArrayDeque<Flight> writing = new ArrayDeque<>();
    /** The connection's context from its CONNACK on; null while disconnected. */
    private ChannelHandlerContext ctx;
    private boolean resendDup;
    private int receiveWindow = MAX_OUTGOING_IN_FLIGHT;
    private long maximumPacketSize = Long.MAX_VALUE;
    private boolean needsFlush;
    private boolean closed;

    /**
     * @param loop hands work to the link's event loop (its inbox); {@code Runnable::run} on the
     *             loop itself, as in a test on an {@code EmbeddedChannel}
     */
    MqttFlights(String name, boolean v5, PacketIds packetIds, Executor loop) {
        this.name = name;
        this.v5 = v5;
        this.packetIds = packetIds;
        this.loop = loop;
    }

    /** Any thread. Refused at once if MQTT cannot carry the message (it would cost the connection). */
    CompletableFuture<Void> publish(OutgoingMessage message) {
        long size = PublishPacket.size(message, v5);
        Optional<String> problem = PublishPacket.problem(message, v5, size);
        if (problem.isPresent()) {
            return CompletableFuture.failedFuture(new InvalidPublishException(problem.get()));
        }
        Flight flight = new Flight(message, size);
        loop.execute(() -> enqueue(flight));
        return flight.done;
    }

    private void enqueue(Flight flight) {
        if (closed) {
            flight.done.completeExceptionally(new MqttConnectionException("link " + name + " closed"));
            return;
        }
        queued.addLast(flight);
        sendPending();
    }

    /** Fails every publish: the link is closed. */
    void close(MqttConnectionException gone) {
        closed = true;
        for (Flight f : inflight.values()) {
            f.done.completeExceptionally(gone);
        }
        for (Flight f : queued) {
            f.done.completeExceptionally(gone);
        }
        for (Flight f : writing) {
            f.writtenOn = null;
            f.done.completeExceptionally(gone);
        }
        inflight.clear();
        queued.clear();
        writing.clear();
        resend.clear();
    }

    void flushIfNeeded() {
        if (needsFlush && ctx != null) {
            needsFlush = false;
            ctx.flush();
        }
    }

    // ------------------------------------------------------------------ the connection's events

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SessionStarted session) {
            start(ctx, session);
        }
        ctx.fireUserEventTriggered(event);
    }

    private void start(ChannelHandlerContext ctx, SessionStarted session) {
        this.ctx = ctx;
        receiveWindow = Math.min(session.receiveMaximum(), MAX_OUTGOING_IN_FLIGHT);
        maximumPacketSize = session.maximumPacketSize();
        resendDup = session.sessionPresent();
        // Beyond a smaller receive window after the reconnect, flights go back to the queue.
        List<Flight> flights = new ArrayList<>(inflight.values());
        inflight.clear();
        for (int i = flights.size() - 1; i >= receiveWindow; i--) {
            Flight back = flights.remove(i);
            packetIds.release(back.packetId);
            queued.addFirst(back);
        }
        for (Flight flight : flights) {
            // Given up by the caller while unacknowledged: a QoS 1 publish leaves no state at the broker,
            // so it is not sent again (the broker may or may not have taken the first one). And this
            // connection's broker may take smaller packets than the last one did.
            if (flight.withdrawn() && flight.message.qos() == 1 || !flight.released && tooLarge(flight)) {
                packetIds.release(flight.packetId);
                continue;
            }
            inflight.put(flight.packetId, flight);
            resend.addLast(flight);
        }
        sendPending();
        flushIfNeeded();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx == this.ctx && ctx.channel().isWritable()) {
            sendPending();
            flushIfNeeded();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        MqttMessage message = (MqttMessage) msg;
        MqttMessageType type = message.fixedHeader().messageType();
        if (type != MqttMessageType.PUBACK && type != MqttMessageType.PUBREC && type != MqttMessageType.PUBCOMP) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            switch (type) {
                case PUBACK -> onPubAck(ctx, message);
                case PUBREC -> onPubRec(ctx, message);
                default -> onPubComp(ctx, message);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushIfNeeded();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx == this.ctx) {
            this.ctx = null;
            needsFlush = false;
            resend.clear(); // still in flight: sent again on the next connection
            // QoS 0 publishes lost with the connection before they were written go first next time.
            for (Flight f = writing.pollLast(); f != null; f = writing.pollLast()) {
                f.writtenOn = null;
                queued.addFirst(f);
            }
        }
        ctx.fireChannelInactive();
    }

    // ------------------------------------------------------------------ sending

    /** Writes what waits while the channel is writable: re-sends first, then the queue within the receive window. */
    private void sendPending() {
        while (ctx != null && ctx.channel().isWritable()) {
            Flight again = resend.pollFirst();
            if (again != null) {
                sendAgain(again);
                continue;
            }
            Flight flight = queued.peekFirst();
            if (flight == null || flight.message.qos() > 0 && inflight.size() >= receiveWindow) {
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
                writeAtMostOnce(flight);
            } else {
                flight.packetId = packetIds.take();
                inflight.put(flight.packetId, flight);
                write(flight.toPublish(flight.packetId, false, v5));
            }
        }
    }

    private void sendAgain(Flight flight) {
        if (inflight.get(flight.packetId) != flight) {
            return; // settled meanwhile
        }
        if (flight.withdrawn() && flight.message.qos() == 1) {
            settle(flight);
            return;
        }
        write(flight.released ? pubRel(flight.packetId) : flight.toPublish(flight.packetId, resendDup, v5));
    }

    /** QoS 0: done when written, so what the caller has outstanding bounds what waits here. */
    private void writeAtMostOnce(Flight flight) {
        ChannelHandlerContext on = ctx;
        flight.writtenOn = on;
        writing.addLast(flight);
        ChannelPromise promise = on.newPromise();
        promise.addListener(result -> written(flight, on, result));
        on.write(flight.toPublish(0, false, v5), promise);
        needsFlush = true;
    }

    private void written(Flight flight, ChannelHandlerContext on, Future<?> result) {
        if (flight.writtenOn != on) {
            return; // queued again with its lost connection, or failed when the link closed
        }
        if (!result.isSuccess() && !on.channel().isActive()) {
            return; // lost with the connection: channelInactive queues it again
        }
        flight.writtenOn = null;
        writing.remove(flight); // the head: writes complete in order
        if (result.isSuccess()) {
            flight.done.complete(null);
        } else {
            flight.done.completeExceptionally(result.cause());
        }
    }

    /** Fails {@code flight} if it is larger than the broker takes (its CONNACK's Maximum Packet Size). */
    private boolean tooLarge(Flight flight) {
        if (flight.size <= maximumPacketSize) {
            return false;
        }
        flight.done.completeExceptionally(new PacketTooLargeException(flight.size, maximumPacketSize));
        return true;
    }

    private void write(MqttMessage message) {
        ctx.write(message, ctx.voidPromise());
        needsFlush = true;
    }

    // ------------------------------------------------------------------ acknowledgements

    private void onPubAck(ChannelHandlerContext ctx, MqttMessage ack) {
        int id = packetId(ack);
        Flight flight = inflight.get(id);
        if (flight == null || flight.message.qos() != 1) {
            ProtocolError.raise(ctx, v5, flight == null ? "PUBACK for an unknown packet identifier"
                    : "PUBACK for a QoS 2 publish", id);
            return;
        }
        settle(flight);
        complete(flight, reasonCode(ack), code -> MqttReasonCodes.PubAck.valueOf(code).name());
        sendPending();
    }

    private void onPubRec(ChannelHandlerContext ctx, MqttMessage rec) {
        int id = packetId(rec);
        Flight flight = inflight.get(id);
        if (flight == null || flight.message.qos() != 2) {
            ProtocolError.raise(ctx, v5, flight == null ? "PUBREC for an unknown packet identifier"
                    : "PUBREC for a QoS 1 publish", id);
            return;
        }
        int reason = reasonCode(rec);
        if (reason >= 0x80) {
            settle(flight);
            complete(flight, reason, code -> MqttReasonCodes.PubRec.valueOf(code).name());
            sendPending();
            return;
        }
        flight.released = true;
        write(pubRel(id));
    }

    private void onPubComp(ChannelHandlerContext ctx, MqttMessage comp) {
        int id = packetId(comp);
        Flight flight = inflight.get(id);
        if (flight == null || !flight.released) {
            ProtocolError.raise(ctx, v5, flight == null ? "PUBCOMP for an unknown packet identifier"
                    : "PUBCOMP before PUBREC", id);
            return;
        }
        settle(flight);
        flight.done.complete(null);
        sendPending();
    }

    private void settle(Flight flight) {
        inflight.remove(flight.packetId);
        packetIds.release(flight.packetId);
    }

    private static void complete(Flight flight, int reason, Function<Byte, String> reasonName) {
        if (reason < 0x80) {
            flight.done.complete(null);
            return;
        }
        String name;
        try {
            name = reasonName.apply((byte) reason);
        } catch (IllegalArgumentException e) {
            name = "0x" + Integer.toHexString(reason);
        }
        flight.done.completeExceptionally(new PublishRejectedException(reason, name));
    }

    private static int packetId(MqttMessage reply) {
        return ((MqttMessageIdVariableHeader) reply.variableHeader()).messageId();
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

    /** One outgoing publish until the broker acknowledged it, it was written (QoS 0), or the link closed. */
    private static final class Flight {
        final OutgoingMessage message;
        /** The encoded PUBLISH's size, for the broker's Maximum Packet Size. */
        final long size;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        int packetId;
        boolean released;
        /** QoS 0: the connection it is being written on, until the write completed. */
        ChannelHandlerContext writtenOn;

        Flight(OutgoingMessage message, long size) {
            this.message = message;
            this.size = size;
        }

        /** Cancelled by the caller ({@link MqttLink#publish}'s future) before the broker acknowledged it. */
        boolean withdrawn() {
            return done.isCancelled();
        }

        MqttMessage toPublish(int id, boolean dup, boolean v5) {
            return PublishPacket.build(message, id, dup, v5);
        }
    }
}
