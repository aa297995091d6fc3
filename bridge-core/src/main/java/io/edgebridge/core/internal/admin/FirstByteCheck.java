package io.edgebridge.core.internal.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers 400 and closes when a connection does not start like an HTTP/1.x request (a method
 * token): a TLS ClientHello, binary garbage. Netty's decoder would wait for a line end that may
 * never come. Removes itself once the first request has started well.
 */
final class FirstByteCheck extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FirstByteCheck.class);
    private static final byte[] BAD_REQUEST = ("HTTP/1.1 400 Bad Request\r\n"
            + "content-type: text/plain; charset=utf-8\r\n"
            + "content-length: 24\r\n"
            + "connection: close\r\n\r\n"
            + "not an HTTP/1.x request\n").getBytes(StandardCharsets.US_ASCII);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
            byte b = buf.getByte(i);
            if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
                continue; // the decoder skips leading blank lines, so do we
            }
            if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z')) {
                ctx.pipeline().remove(this);
                ctx.fireChannelRead(buf);
                return;
            }
            buf.release();
            log.atDebug().addKeyValue("remote", ctx.channel().remoteAddress())
                    .log("admin connection refused: not an HTTP/1.x request (first byte 0x{})",
                            Integer.toHexString(b & 0xff));
            ctx.channel().config().setAutoRead(false);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(BAD_REQUEST)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelRead(buf); // only blank so far
    }
}
