package io.edgebridge.core.internal.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class PublishPacketTest {

    private static final Map<Integer, byte[]> PAYLOADS = new java.util.HashMap<>();

    private static OutgoingMessage message(String topic, int payload, int qos, Map<String, String> properties) {
        return new OutgoingMessage(topic, PAYLOADS.computeIfAbsent(payload, byte[]::new), qos, false, properties,
                Optional.empty());
    }

    /** What Netty's encoder writes for the packet the link builds, in bytes. */
    private static int encoded(OutgoingMessage message, boolean v5) {
        EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
        try {
            // The encoder takes the protocol version from the CONNECT it wrote.
            channel.writeOutbound(MqttMessageBuilders.connect().clientId("c")
                    .protocolVersion(v5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1).build());
            ReferenceCountUtil.release(channel.readOutbound());
            channel.writeOutbound(PublishPacket.build(message, 7, false, v5));
            ByteBuf out = channel.readOutbound();
            try {
                return out.readableBytes();
            } finally {
                out.release();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    static List<Object[]> messages() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("edgebridge-hop", "bridge-1");
        properties.put("source", "sensors/é/😀/" + "x".repeat(300));
        List<Object[]> cases = new ArrayList<>();
        // Payload sizes around the variable-length integer's steps (1, 2, 3 and 4 bytes).
        for (int payload : new int[] {0, 100, 127, 16_300, 16_384, 2_097_000, 2_097_152}) {
            for (int qos : new int[] {0, 1}) {
                for (boolean v5 : new boolean[] {false, true}) {
                    cases.add(new Object[] {message("a/é/😀/topic", payload, qos, Map.of()), v5});
                    cases.add(new Object[] {message("a/b", payload, qos, properties), v5});
                }
            }
        }
        cases.add(new Object[] {new OutgoingMessage("req/1", new byte[10], 1, false, properties,
                Optional.of("application/json"), Optional.of("edgebridge/responses/x"), Optional.of(new byte[16])),
                true});
        return cases;
    }

    @ParameterizedTest
    @MethodSource("messages")
    void theSize_isExactlyWhatTheEncoderWrites(OutgoingMessage message, boolean v5) {
        assertThat(PublishPacket.problem(message, v5)).isEmpty();
        assertThat(PublishPacket.size(message, v5)).isEqualTo(encoded(message, v5));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a topic of 65,536 bytes              | topic is 65536 UTF-8 bytes, longer than MQTT's 65535",
            "a topic of 65,536 bytes in 2-byte é  | topic is 65536 UTF-8 bytes, longer than MQTT's 65535",
            "a user property value of 65,536 bytes| user property 'source': the value is 65536 UTF-8 bytes, longer than MQTT's 65535",
            "a NUL in the topic                   | topic contains U+0000 (NUL)",
            "a NUL in a user property             | user property 'source': the value contains U+0000 (NUL)",
            "a lone surrogate in the topic        | topic is not valid Unicode (a lone surrogate at index 2)",
            "a wildcard in the topic              | topic contains the wildcard '+'",
            "an empty topic                       | topic is empty",
    })
    void whatMqttCannotCarry_isNamed(String what, String problem) {
        OutgoingMessage message = switch (what.strip()) {
            case "a topic of 65,536 bytes" -> message("t".repeat(65_536), 1, 1, Map.of());
            case "a topic of 65,536 bytes in 2-byte é" -> message("é".repeat(32_768), 1, 1, Map.of());
            case "a user property value of 65,536 bytes" -> message("t", 1, 1, Map.of("source", "v".repeat(65_536)));
            case "a NUL in the topic" -> message("a/\u0000", 1, 1, Map.of());
            case "a NUL in a user property" -> message("a", 1, 1, Map.of("source", "x\u0000"));
            case "a lone surrogate in the topic" -> message("a/\uD800/b", 1, 1, Map.of());
            case "a wildcard in the topic" -> message("a/+/b", 1, 1, Map.of());
            case "an empty topic" -> message("", 1, 1, Map.of());
            default -> throw new IllegalArgumentException(what);
        };
        assertThat(PublishPacket.problem(message, true)).contains(problem.strip());
    }

    @Test
    void theLongestValidStrings_pass_andMqtt311IgnoresProperties() {
        assertThat(PublishPacket.problem(message("t".repeat(65_535), 1, 1, Map.of("k", "v".repeat(65_535))), true))
                .isEmpty();
        OutgoingMessage longProperty = message("t", 1, 1, Map.of("k", "v".repeat(70_000)));
        assertThat(PublishPacket.problem(longProperty, false)).isEmpty(); // not sent on a 3.1.1 link
        assertThat(PublishPacket.problem(longProperty, true)).isPresent();
    }
}
