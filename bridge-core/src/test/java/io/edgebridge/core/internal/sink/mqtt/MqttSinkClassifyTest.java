package io.edgebridge.core.internal.sink.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.internal.mqtt.MqttConnectionException;
import io.edgebridge.core.internal.mqtt.PacketTooLargeException;
import io.edgebridge.core.internal.mqtt.PublishRejectedException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class MqttSinkClassifyTest {

    @ParameterizedTest(name = "reason code 0x{0} -> {1}")
    @CsvSource({
            "80, REJECTED",  // unspecified error
            "83, REJECTED",  // implementation specific
            "87, REJECTED",  // not authorized
            "90, PERMANENT", // topic name invalid
            "91, RETRY",     // packet identifier in use
            "97, RETRY",     // quota exceeded
            "99, PERMANENT", // payload format invalid
    })
    void brokerReasonCodes_mapToWhatTheEngineDoesNext(String hex, Disposition expected) {
        int code = Integer.parseInt(hex, 16);
        assertThat(MqttSink.classify(new PublishRejectedException(code, "X")).disposition()).isEqualTo(expected);
    }

    @Test
    void connectionProblems_areRetried_evenWhenWrapped() {
        assertThat(MqttSink.classify(new MqttConnectionException("link closed")).disposition())
                .isEqualTo(Disposition.RETRY);
        assertThat(MqttSink.classify(new CompletionException(new MqttConnectionException("gone"))).disposition())
                .isEqualTo(Disposition.RETRY);
    }

    @Test
    void invalidMessages_arePermanent() {
        assertThat(MqttSink.classify(new IllegalArgumentException("bad topic")).disposition())
                .isEqualTo(Disposition.PERMANENT);
        assertThat(MqttSink.classify(new PacketTooLargeException(2_000_000, 1_000_000)).disposition())
                .isEqualTo(Disposition.PERMANENT);
    }
}
