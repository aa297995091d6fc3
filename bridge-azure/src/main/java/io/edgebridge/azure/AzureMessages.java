package io.edgebridge.azure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.microsoft.azure.sdk.iot.device.Message;
import com.microsoft.azure.sdk.iot.device.MessageProperty;
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

    /** MQTT's limit on a topic, in bytes. Over MQTT, IoT Hub carries a message's properties in its topic. */
    static final int MAX_TOPIC_BYTES = 65_535;
    /**
     * What the topic holds besides the property bag, at most: {@code devices/<id>/modules/<id>/messages/events/}
     * (ids of up to 128 characters) and the module output {@code $.on=<name>&}.
     */
    private static final int TOPIC_PREFIX_BYTES = 512;

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
     * The length of the MQTT topic the SDK publishes {@code m} on, at most: the device's prefix and the
     * URL-encoded property bag ({@code $.mid=...&name=value&...}). Over {@link #MAX_TOPIC_BYTES}, the
     * SDK's MQTT client refuses it inside its send task and the send is never answered, so it has to be
     * caught here (a 65,535-byte source topic, default property {@code sourceTopic}, is enough).
     */
    static long topicBytes(Message m) {
        // The system properties in the order the SDK writes them (MqttMessaging.send).
        long bytes = TOPIC_PREFIX_BYTES + pair(MESSAGE_ID, m.getMessageId()) + pair(CORRELATION_ID, m.getCorrelationId())
                + pair("$.uid", m.getUserId()) + pair("$.to", m.getTo()) + pair("$.on", m.getOutputName())
                + pair("$.cdid", m.getConnectionDeviceId()) + pair("$.cmid", m.getConnectionModuleId())
                + pair(CONTENT_ENCODING, m.getContentEncoding()) + pair(CONTENT_TYPE, m.getContentType())
                + pair("$.ctime", m.getCreationTimeUTCString()) + pair("$.sub", m.getComponentName());
        for (MessageProperty p : m.getProperties()) {
            bytes += pair(p.getName(), p.getValue());
        }
        return bytes;
    }

    private static long pair(String name, String value) {
        return value == null ? 0 : urlEncoded(name) + 1 + urlEncoded(value) + 1;
    }

    private static long urlEncoded(String s) {
        long bytes = 0;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            boolean plain = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '-'
                    || b == '*' || b == '_';
            bytes += plain ? 1 : 3; // URLEncoder: %XX for every other byte (a space as %20 after the SDK's replace)
        }
        return bytes;
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
