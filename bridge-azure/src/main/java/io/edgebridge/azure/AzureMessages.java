package io.edgebridge.azure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.microsoft.azure.sdk.iot.device.Message;
import io.edgebridge.core.api.OutboundMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Device-to-cloud message building and cloud-to-device topic rendering: IoT Hub's conventions in
 * one place, free of any connection state.
 */
final class AzureMessages {

    /** Property names IoT Hub uses for system properties; written in a target's {@code properties} they set those. */
    static final String MESSAGE_ID = "$.mid";
    static final String CORRELATION_ID = "$.cid";
    static final String CONTENT_TYPE = "$.ct";
    static final String CONTENT_ENCODING = "$.ce";
    static final String JSON = "application/json";
    static final String UTF_8 = "utf-8";
    /** The application property that carries the target's rendered {@code topic} (IoT Hub has no topics). */
    static final String TOPIC = "topic";

    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    private AzureMessages() {
    }

    /** Body plus every property name and value, in UTF-8 bytes: what IoT Hub's size limit counts. */
    static int size(OutboundMessage message) {
        int size = message.payload().length;
        for (Map.Entry<String, String> e : message.properties().entrySet()) {
            size += utf8(e.getKey()) + utf8(e.getValue());
        }
        return size + utf8(TOPIC) + utf8(message.topic()) + message.contentType().map(AzureMessages::utf8).orElse(0);
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * The SDK message for {@code message}: the application property {@code topic} with the rendered
     * target topic, application properties from the target's properties
     * ({@code $.mid}, {@code $.cid}, {@code $.ct}, {@code $.ce} set the system properties instead),
     * content type and encoding (a JSON payload without a configured type is sent as
     * {@code application/json}, {@code utf-8}), and the message id.
     *
     * @throws IllegalArgumentException when the SDK refuses a property (reserved or invalid name)
     */
    static Message build(String sink, OutboundMessage message, AzureTargetOptions target) {
        Message m = new Message(message.payload());
        String contentType = message.contentType().orElse(null);
        String contentEncoding = target.contentEncoding().orElse(null);
        m.setProperty(TOPIC, message.topic());
        for (Map.Entry<String, String> e : message.properties().entrySet()) {
            switch (e.getKey()) {
                case MESSAGE_ID -> m.setMessageId(e.getValue());
                case CORRELATION_ID -> m.setCorrelationId(e.getValue());
                case CONTENT_TYPE -> contentType = e.getValue();
                case CONTENT_ENCODING -> contentEncoding = e.getValue();
                default -> m.setProperty(e.getKey(), e.getValue());
            }
        }
        if (contentType == null && isJson(message.payload())) {
            contentType = JSON;
            if (contentEncoding == null) {
                contentEncoding = UTF_8;
            }
        }
        if (contentType != null) {
            m.setContentType(contentType);
        }
        if (contentEncoding != null) {
            m.setContentEncoding(contentEncoding);
        }
        if (!message.properties().containsKey(MESSAGE_ID)
                && target.messageId() == AzureIotHubSinkFactory.MessageIdMode.SEQUENCE) {
            m.setMessageId(sink + ":" + message.route() + ":" + message.sequence());
        }
        return m;
    }

    /** Whether {@code payload} is one JSON object or array (UTF-8). */
    static boolean isJson(byte[] payload) {
        int i = 0;
        while (i < payload.length && (payload[i] == ' ' || payload[i] == '\n' || payload[i] == '\r'
                || payload[i] == '\t')) {
            i++;
        }
        if (i == payload.length || payload[i] != '{' && payload[i] != '[') {
            return false;
        }
        try (JsonParser parser = JSON_FACTORY.createParser(payload)) {
            if (parser.nextToken() == null) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }
}
