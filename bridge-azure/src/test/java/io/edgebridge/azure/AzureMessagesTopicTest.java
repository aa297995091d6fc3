package io.edgebridge.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.azure.sdk.iot.device.Message;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Over MQTT, IoT Hub carries a message's properties in its topic, which MQTT limits to 65,535 bytes. */
class AzureMessagesTopicTest {

    private static int encoded(String s) {
        // As the SDK writes the property bag: URLEncoder, then '+' as %20.
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").length();
    }

    @Test
    void theTopicLength_countsThePropertyBagAsTheSdkEncodesIt() {
        Message m = new Message(new byte[3]);
        m.setMessageId("hub:telemetry:42");
        m.setContentType("application/json");
        m.setProperty("topic", "gateways/gw 01/dév/😀");
        m.setProperty("sourceTopic", "sensors/a+b*c_d.e-f");
        long bag = encoded("$.mid") + 1 + encoded("hub:telemetry:42") + 1
                + encoded("$.ct") + 1 + encoded("application/json") + 1
                + encoded("$.cid") + 1 + encoded(m.getCorrelationId()) + 1 // the SDK sets a random one
                + encoded("topic") + 1 + encoded("gateways/gw 01/dév/😀") + 1
                + encoded("sourceTopic") + 1 + encoded("sensors/a+b*c_d.e-f") + 1;
        assertThat(AzureMessages.topicBytes(m)).isEqualTo(512 + bag);
    }

    @Test
    void issue14Finding2_aLongSourceTopic_makesATopicMqttCannotCarry() {
        Message m = new Message(new byte[3]);
        m.setProperty("sourceTopic", "sensors/d1/" + "a".repeat(65_524));
        assertThat(AzureMessages.topicBytes(m)).isGreaterThan(AzureMessages.MAX_TOPIC_BYTES);
        Message small = new Message(new byte[3]);
        small.setProperty("sourceTopic", "sensors/d1/temp");
        assertThat(AzureMessages.topicBytes(small)).isLessThan(1_000);
    }
}
