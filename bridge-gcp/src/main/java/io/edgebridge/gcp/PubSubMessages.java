package io.edgebridge.gcp;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import io.edgebridge.core.api.OutboundMessage;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Pub/Sub's message rules in one place, free of any connection state: building a message from a
 * rendered target within Pub/Sub's limits, and rendering the topic a pulled message is routed under.
 */
final class PubSubMessages {

    /** Pub/Sub refuses publish requests over 10 MB (10,000,000 bytes), the message's own limit included. */
    static final int MAX_REQUEST_BYTES = 10_000_000;
    static final int MAX_ATTRIBUTES = 100;
    static final int MAX_ATTRIBUTE_KEY_BYTES = 256;
    static final int MAX_ATTRIBUTE_VALUE_BYTES = 1024;
    static final int MAX_ORDERING_KEY_BYTES = 1024;

    private PubSubMessages() {
    }

    /** A message ready to publish, or why Pub/Sub would never take it. */
    sealed interface Built permits Ready, Refused {
    }

    /** {@code orderingKey} is empty for a message without one. */
    record Ready(String topic, PubsubMessage message, String orderingKey) implements Built {
    }

    record Refused(String reason) implements Built {
    }

    /**
     * The Pub/Sub message for {@code message}: its payload as data, its properties as attributes,
     * the rendered ordering key; its rendered topic resolved in {@code project}.
     */
    static Built build(String project, OutboundMessage message) {
        PubSubNames.Name name = PubSubNames.resolve(project, "topics", message.topic());
        if (name instanceof PubSubNames.Invalid invalid) {
            return new Refused(invalid.reason());
        }
        String topic = ((PubSubNames.Resolved) name).fullName();
        Map<String, String> attributes = message.properties();
        if (attributes.size() > MAX_ATTRIBUTES) {
            return new Refused(attributes.size() + " attributes: Pub/Sub allows at most " + MAX_ATTRIBUTES);
        }
        for (Map.Entry<String, String> a : attributes.entrySet()) {
            int keyBytes = utf8(a.getKey());
            if (keyBytes == 0 || keyBytes > MAX_ATTRIBUTE_KEY_BYTES) {
                return new Refused("attribute name '" + shorten(a.getKey()) + "' must have 1 to "
                        + MAX_ATTRIBUTE_KEY_BYTES + " bytes");
            }
            if (a.getKey().regionMatches(true, 0, "goog", 0, 4)) {
                return new Refused("attribute name '" + shorten(a.getKey()) + "' is reserved: names starting with"
                        + " 'goog' are Pub/Sub's");
            }
            int valueBytes = utf8(a.getValue());
            if (valueBytes > MAX_ATTRIBUTE_VALUE_BYTES) {
                return new Refused("attribute '" + shorten(a.getKey()) + "' has a value of " + valueBytes
                        + " bytes: Pub/Sub allows at most " + MAX_ATTRIBUTE_VALUE_BYTES);
            }
        }
        String orderingKey = message.rendered().getOrDefault(GcpTargetOptions.ORDERING_KEY, "");
        if (utf8(orderingKey) > MAX_ORDERING_KEY_BYTES) {
            return new Refused("ordering key of " + utf8(orderingKey) + " bytes: Pub/Sub allows at most "
                    + MAX_ORDERING_KEY_BYTES);
        }
        PubsubMessage pubsub = PubsubMessage.newBuilder()
                .setData(ByteString.copyFrom(message.payload()))
                .putAllAttributes(attributes)
                .setOrderingKey(orderingKey)
                .build();
        int requestBytes = CodedOutputStream.computeStringSize(PublishRequest.TOPIC_FIELD_NUMBER, topic)
                + CodedOutputStream.computeMessageSize(PublishRequest.MESSAGES_FIELD_NUMBER, pubsub);
        if (requestBytes > MAX_REQUEST_BYTES) {
            return new Refused("message of " + requestBytes + " bytes (data, attributes and ordering key) exceeds"
                    + " Pub/Sub's limit of " + MAX_REQUEST_BYTES + " bytes per publish request");
        }
        return new Ready(topic, pubsub, orderingKey);
    }

    /** Bytes a message takes in a publish request (what flow control counts). */
    static int requestBytes(PubsubMessage message) {
        return CodedOutputStream.computeMessageSize(PublishRequest.MESSAGES_FIELD_NUMBER, message);
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String shorten(String s) {
        return s.length() <= 64 ? s : s.substring(0, 61) + "...";
    }
}
