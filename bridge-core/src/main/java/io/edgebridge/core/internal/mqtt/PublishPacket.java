package io.edgebridge.core.internal.mqtt;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import java.util.Map;
import java.util.Optional;

/**
 * What a PUBLISH of an {@link OutgoingMessage} is on the wire: the packet, whether MQTT can carry it
 * at all, and its exact size as Netty's {@code MqttEncoder} writes it.
 *
 * <p>The encoder does not check: a topic or user property over 65,535 UTF-8 bytes gets its length
 * prefix silently truncated, and the broker drops the connection for the malformed packet. The link
 * re-sends unacknowledged publishes after every reconnect, so one such message used to make a
 * reconnect loop that held back every message behind it. The link therefore refuses a publish this
 * class finds a problem with, before it is written.
 */
final class PublishPacket {

    /** MQTT's limit on a UTF-8 string or binary field (two-byte length prefix). */
    static final int MAX_FIELD_BYTES = 65_535;
    /** MQTT's limit on a packet's remaining length (four-byte variable byte integer). */
    static final int MAX_REMAINING_LENGTH = 268_435_455;

    private PublishPacket() {
    }

    /** The PUBLISH for {@code message} with packet identifier {@code id} (ignored for QoS 0). */
    static MqttPublishMessage build(OutgoingMessage message, int id, boolean dup, boolean v5) {
        MqttProperties properties = MqttProperties.NO_PROPERTIES;
        if (v5 && hasProperties(message)) {
            properties = new MqttProperties();
            if (!message.userProperties().isEmpty()) {
                MqttProperties.UserProperties users = new MqttProperties.UserProperties();
                message.userProperties().forEach(users::add);
                properties.add(users);
            }
            if (message.contentType().isPresent()) {
                properties.add(new MqttProperties.StringProperty(
                        MqttProperties.MqttPropertyType.CONTENT_TYPE.value(), message.contentType().get()));
            }
            if (message.responseTopic().isPresent()) {
                properties.add(new MqttProperties.StringProperty(
                        MqttProperties.MqttPropertyType.RESPONSE_TOPIC.value(), message.responseTopic().get()));
            }
            if (message.correlationData().isPresent()) {
                properties.add(new MqttProperties.BinaryProperty(
                        MqttProperties.MqttPropertyType.CORRELATION_DATA.value(), message.correlationData().get()));
            }
        }
        MqttQoS qos = MqttQoS.valueOf(message.qos());
        return new MqttPublishMessage(
                new MqttFixedHeader(MqttMessageType.PUBLISH, dup && qos != MqttQoS.AT_MOST_ONCE, qos, message.retain(), 0),
                new MqttPublishVariableHeader(message.topic(), id, properties),
                Unpooled.wrappedBuffer(message.payload()));
    }

    private static boolean hasProperties(OutgoingMessage message) {
        return !message.userProperties().isEmpty() || message.contentType().isPresent()
                || message.responseTopic().isPresent() || message.correlationData().isPresent();
    }

    /**
     * Why {@code message} cannot be sent as a valid PUBLISH (MQTT 3.1.1 or 5), or empty if it can.
     * Properties count only on MQTT 5 (they are left out on a 3.1.1 link).
     */
    static Optional<String> problem(OutgoingMessage message, boolean v5) {
        return problem(message, v5, size(message, v5));
    }

    /** The same, for a message whose {@link #size} is known already (the link computes it once per publish). */
    static Optional<String> problem(OutgoingMessage message, boolean v5, long size) {
        Optional<String> topic = topicProblem(message.topic());
        if (topic.isPresent()) {
            return topic;
        }
        if (v5) {
            for (Map.Entry<String, String> p : message.userProperties().entrySet()) {
                Optional<String> key = stringProblem(p.getKey());
                if (key.isPresent()) {
                    return Optional.of("user property name " + key.get());
                }
                Optional<String> value = stringProblem(p.getValue());
                if (value.isPresent()) {
                    return Optional.of("user property '" + shown(p.getKey()) + "': the value " + value.get());
                }
            }
            if (message.contentType().isPresent()) {
                Optional<String> type = stringProblem(message.contentType().get());
                if (type.isPresent()) {
                    return Optional.of("content type " + type.get());
                }
            }
            if (message.responseTopic().isPresent()) {
                Optional<String> response = topicProblem(message.responseTopic().get());
                if (response.isPresent()) {
                    return Optional.of("response " + response.get());
                }
            }
            if (message.correlationData().isPresent() && message.correlationData().get().length > MAX_FIELD_BYTES) {
                return Optional.of("correlation data of " + message.correlationData().get().length
                        + " bytes is longer than MQTT's " + MAX_FIELD_BYTES);
            }
        }
        if (remainingOf(size) > MAX_REMAINING_LENGTH) {
            return Optional.of("a packet of more than " + MAX_REMAINING_LENGTH + " bytes (MQTT's limit)");
        }
        return Optional.empty();
    }

    private static Optional<String> topicProblem(String topic) {
        if (topic.isEmpty()) {
            return Optional.of("topic is empty");
        }
        return check(topic, true).map(p -> "topic " + p);
    }

    /**
     * Why {@code s} is not a valid MQTT UTF-8 string: longer than 65,535 bytes, or holding U+0000 or
     * a lone surrogate (which has no UTF-8 encoding), both of which make a malformed packet.
     */
    static Optional<String> stringProblem(String s) {
        return check(s, false);
    }

    /** One pass over {@code s}: its characters, its UTF-8 length, and (for a topic) wildcards. */
    private static Optional<String> check(String s, boolean topic) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                if (c == 0) {
                    return Optional.of("contains U+0000 (NUL)");
                }
                if (topic && (c == '+' || c == '#')) {
                    return Optional.of("contains the wildcard '" + c + "'");
                }
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                return Optional.of("is not valid Unicode (a lone surrogate at index " + i + ")");
            } else {
                bytes += 3;
            }
        }
        if (bytes > MAX_FIELD_BYTES) {
            return Optional.of("is " + bytes + " UTF-8 bytes, longer than MQTT's " + MAX_FIELD_BYTES);
        }
        return Optional.empty();
    }

    /**
     * The encoded size of the PUBLISH: fixed header, topic, packet identifier (QoS 1 and 2),
     * properties (MQTT 5) and payload, for a message {@link #problem} found nothing wrong with.
     */
    static long size(OutgoingMessage message, boolean v5) {
        long remaining = remainingLength(message, v5);
        return 1 + varIntBytes(remaining) + remaining;
    }

    private static long remainingLength(OutgoingMessage message, boolean v5) {
        long variable = 2 + utf8Length(message.topic()) + (message.qos() > 0 ? 2 : 0);
        if (v5) {
            long properties = 0;
            if (hasProperties(message)) {
                for (Map.Entry<String, String> p : message.userProperties().entrySet()) {
                    properties += 1 + 2 + utf8Length(p.getKey()) + 2 + utf8Length(p.getValue());
                }
                properties += message.contentType().map(t -> 1 + 2 + utf8Length(t)).orElse(0L);
                properties += message.responseTopic().map(t -> 1 + 2 + utf8Length(t)).orElse(0L);
                properties += message.correlationData().map(c -> 1 + 2 + (long) c.length).orElse(0L);
            }
            variable += varIntBytes(properties) + properties;
        }
        return variable + message.payload().length;
    }

    /** UTF-8 bytes of {@code s} (a lone surrogate counts as the one byte '?' Netty writes for it). */
    static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** The remaining length of a packet of {@code size} bytes (fixed header: one byte and the length's). */
    private static long remainingOf(long size) {
        for (int k = 1; k < 4; k++) {
            if (varIntBytes(size - 1 - k) == k) {
                return size - 1 - k;
            }
        }
        return size - 5;
    }

    private static int varIntBytes(long value) {
        if (value < 128) {
            return 1;
        }
        if (value < 16_384) {
            return 2;
        }
        if (value < 2_097_152) {
            return 3;
        }
        return 4;
    }

    private static String shown(String key) {
        return key.length() > 64 ? key.substring(0, 64) + "..." : key;
    }
}
