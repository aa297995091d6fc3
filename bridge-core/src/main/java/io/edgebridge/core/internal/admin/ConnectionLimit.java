package io.edgebridge.core.internal.admin;

import io.edgebridge.core.support.LogLimit;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code max} open connections. At the limit a new connection is let in and the one that
 * has waited longest for a request (opened, or last sent a request head, longest ago) is closed.
 * Refusing the new connection instead would let clients that connect and never finish a request
 * (slowloris, forgotten keep-alive connections) keep out the ones that do, such as a liveness probe,
 * which then restarts a healthy bridge. Shared by all channels of the server; they all run on its
 * one event loop, so the order needs no lock.
 */
@ChannelHandler.Sharable
final class ConnectionLimit extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ConnectionLimit.class);

    private final int max;
    private final Counter closed;
    private final LogLimit logLimit = new LogLimit();
    private final AtomicInteger open = new AtomicInteger();
    /** Open connections, the one waiting longest for a request first. Touched on the event loop only. */
    private final Set<Channel> byWait = new LinkedHashSet<>();

    /** @param closed counts the connections closed to make room */
    ConnectionLimit(int max, Counter closed) {
        this.max = max;
        this.closed = closed;
    }

    int open() {
        return open.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        open.incrementAndGet();
        byWait.add(ctx.channel());
        if (byWait.size() > max) {
            Iterator<Channel> oldest = byWait.iterator();
            Channel waiting = oldest.next();
            oldest.remove();
            closed.increment();
            LogLimit.Pass pass = logLimit.admit();
            if (pass.logs()) {
                log.atWarn().addKeyValue("remote", waiting.remoteAddress()).addKeyValue("limit", max)
                        .log("admin server at its limit of {} connections: closed the one waiting longest for a"
                                + " request ({}){}", max, waiting.remoteAddress(), pass.suffix());
            }
            waiting.close();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest && byWait.remove(ctx.channel())) {
            byWait.add(ctx.channel()); // served now: the last to be closed for room
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        byWait.remove(ctx.channel());
        ctx.fireChannelInactive();
    }
}
