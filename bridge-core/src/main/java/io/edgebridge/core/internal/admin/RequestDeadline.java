package io.edgebridge.core.internal.admin;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deadline for a whole request: from the connection's opening, or from the first byte of a later
 * request, to the answer. A connection that misses it gets 408 and is closed. Unlike an idle
 * timeout, a client sending one byte at a time (slowloris) cannot stretch it. Sits before the HTTP
 * codec, so it sees bytes in and answers out: every answer follows a complete request head (or
 * refuses the connection), so an answer ends the wait. Idle keep-alive connections, which sent
 * nothing since their last answer, are left to the idle timeout. One per channel, on its event loop.
 */
final class RequestDeadline extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestDeadline.class);
    private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\n"
            + "content-type: text/plain; charset=utf-8\r\n"
            + "content-length: 29\r\n"
            + "connection: close\r\n\r\n"
            + "request not complete in time\n").getBytes(StandardCharsets.US_ASCII);

    private final Duration limit;
    private final Counter closed;
    private ScheduledFuture<?> timer;
    private boolean expired;

    /** @param closed counts the connections closed for missing the deadline */
    RequestDeadline(Duration limit, Counter closed) {
        this.limit = limit;
        this.closed = closed;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx); // a connection that sends nothing at all is waited for as long as a slow one
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer == null && !expired && msg instanceof ByteBuf buf && buf.isReadable()) {
            arm(ctx); // the first bytes of a request
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!expired) {
            disarm(); // an answer: the request it answers was complete
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> expire(ctx), limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        expired = true;
        closed.increment();
        log.atDebug().addKeyValue("remote", ctx.channel().remoteAddress())
                .log("admin connection closed: no complete request within {} ms", limit.toMillis());
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(REQUEST_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
    }
}
