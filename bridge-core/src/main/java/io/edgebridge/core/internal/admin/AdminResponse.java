package io.edgebridge.core.internal.admin;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/** What an endpoint answers: status, content type and body. */
record AdminResponse(HttpResponseStatus status, String contentType, byte[] body) {

    static final String TEXT = "text/plain; charset=utf-8";
    static final String JSON = "application/json";

    static AdminResponse text(HttpResponseStatus status, String text) {
        return new AdminResponse(status, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }
}
