package io.edgebridge.core.internal.admin;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin connection: checks each request (decoder result, version, path, method, no body),
 * answers it from {@link AdminEndpoints}, keeps the connection open when the client asks to
 * (HTTP/1.1 by default, HTTP/1.0 with {@code Connection: keep-alive}), and closes it after any
 * protocol error, a request with a body, or idleness.
 */
final class AdminHttpHandler extends SimpleChannelInboundHandler<HttpObject> {

    private static final Logger log = LoggerFactory.getLogger(AdminHttpHandler.class);
    private static final String ALLOW = "GET, HEAD";

    private final AdminEndpoints endpoints;
    private final Counter notReading;
    /** After a refused request the connection is closing: its remaining parts are ignored. */
    private boolean closing;

    /** @param notReading counts connections closed for sending requests without reading the answers */
    AdminHttpHandler(AdminEndpoints endpoints, Counter notReading) {
        this.endpoints = endpoints;
        this.notReading = notReading;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (closing) {
            return;
        }
        if (msg instanceof HttpRequest && !ctx.channel().isWritable()) {
            // Answers the client has not read fill the output buffer: it sends (pipelines) requests
            // without reading, and answering more would only grow the buffer.
            notReading.increment();
            log.atDebug().addKeyValue("remote", ctx.channel().remoteAddress())
                    .log("admin connection closed: requests keep coming while the answers are not read");
            closing = true;
            ctx.close();
            return;
        }
        if (msg instanceof HttpRequest request) {
            handle(ctx, request);
        } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request body", content.decoderResult().cause());
        }
        // Other content is the (empty) end of a GET, or the body of a request already refused.
    }

    private void handle(ChannelHandlerContext ctx, HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            if (cause instanceof TooLongHttpLineException) {
                refuse(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line longer than "
                        + AdminServer.MAX_INITIAL_LINE + " bytes", cause);
            } else if (cause instanceof TooLongHttpHeaderException) {
                refuse(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers longer than "
                        + AdminServer.MAX_HEADER_SIZE + " bytes", cause);
            } else if (cause instanceof TooLongFrameException) {
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, "request too large", cause);
            } else {
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request", cause);
            }
            return;
        }
        if (request.protocolVersion().majorVersion() != 1) {
            refuse(ctx, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.0 and HTTP/1.1 are served", null);
            return;
        }
        String path;
        boolean body;
        try {
            path = new QueryStringDecoder(request.uri()).path();
            body = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        } catch (IllegalArgumentException e) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request", e);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request) && !body;
        if (!endpoints.paths().contains(path)) {
            respond(ctx, request, AdminResponse.text(HttpResponseStatus.NOT_FOUND,
                    "not found; endpoints: " + String.join(", ", endpoints.paths()) + "\n"), keepAlive);
            return;
        }
        HttpMethod method = request.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            FullHttpResponse response = response(request,
                    AdminResponse.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed; use GET or HEAD\n"));
            response.headers().set(HttpHeaderNames.ALLOW, ALLOW);
            send(ctx, request, response, keepAlive);
            return;
        }
        if (body) {
            refuse(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "a " + method + " request has no body", null);
            return;
        }
        AdminResponse answer;
        try {
            answer = endpoints.handle(path, request.headers().get(HttpHeaderNames.ACCEPT));
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("path", path).log("admin endpoint failed", e);
            answer = AdminResponse.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
        }
        respond(ctx, request, answer, keepAlive);
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest request, AdminResponse answer, boolean keepAlive) {
        send(ctx, request, response(request, answer), keepAlive);
    }

    private static FullHttpResponse response(HttpRequest request, AdminResponse answer) {
        boolean head = request.method().equals(HttpMethod.HEAD);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(answer.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    private void send(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse response, boolean keepAlive) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            closing = true;
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Answers a request that cannot be served and closes the connection. */
    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String why, Throwable cause) {
        log.atDebug().addKeyValue("remote", ctx.channel().remoteAddress())
                .log("admin request refused with {}: {}{}", status.code(), why,
                        cause == null ? "" : " (" + Printable.escape(String.valueOf(cause.getMessage())) + ")");
        closing = true;
        ctx.channel().config().setAutoRead(false);
        AdminResponse answer = AdminResponse.text(status, why + "\n");
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(answer.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            log.atDebug().addKeyValue("remote", ctx.channel().remoteAddress()).log("closing idle admin connection");
            ctx.close();
        } else {
            super.userEventTriggered(ctx, event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.atDebug().addKeyValue("remote", ctx.channel().remoteAddress())
                .log("admin connection failed: {}", Printable.escape(String.valueOf(cause)));
        ctx.close();
    }
}
