package io.edgebridge.core.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.edgebridge.core.testing.LogCapture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BrokerCheckTest {

    private final AtomicLong now = new AtomicLong();
    private final BrokerCheck check = new BrokerCheck("mqtt://broker:1883", now::get);
    private final LogCapture logs = LogCapture.start();

    @AfterEach
    void detach() {
        logs.close();
    }

    @Test
    void handles_onlySysTopics() {
        assertThat(BrokerCheck.handles("$SYS/broker/version")).isTrue();
        assertThat(BrokerCheck.handles("sensors/SYS/broker")).isFalse();
    }

    @Test
    void droppedAboveZeroAtStart_warnsOnce_withTheSettingAndTheDocs() {
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("2000"));

        assertThat(warnings()).isEqualTo(1);
        assertThat(logs.lines().get(0)).contains("has dropped 2000 messages since it started")
                .contains("max_queued_messages 0").contains(BrokerCheck.DOCS);
        assertThat(check.droppedReported()).contains(2000L);
    }

    @Test
    void droppedZero_orUnchanged_saysNothing() {
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("0"));
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("0"));

        assertThat(warnings()).isZero();
        assertThat(check.droppedReported()).contains(0L);
    }

    @Test
    void droppedGrowing_warnsWithTheIncrease_atMostOncePer10Seconds() {
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("0"));
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("5"));
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("9"));
        assertThat(warnings()).isEqualTo(1);

        now.addAndGet(Duration.ofSeconds(11).toNanos());
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("12"));

        assertThat(warnings()).isEqualTo(2);
        assertThat(logs.lines().get(1)).contains("dropped 3 more messages (12 since it started)")
                .contains("1 similar not logged");
    }

    @Test
    void brokerRestarted_countsFromZeroAgain_whichIsNotALoss_andLaterDropsAreMeasuredFromThere() {
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("7"));
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("0"));
        assertThat(warnings()).isEqualTo(1);

        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("3"));

        assertThat(warnings()).isEqualTo(2);
        assertThat(logs.lines().get(1)).contains("dropped 3 more messages (3 since it started)");
    }

    @Test
    void notANumber_isIgnored() {
        check.onMessage(BrokerCheck.MOSQUITTO_DROPPED, bytes("lots"));

        assertThat(warnings()).isZero();
        assertThat(check.droppedReported()).isEmpty();
    }

    private long warnings() {
        return logs.count(e -> e.getLevel() == Level.WARN && e.getLoggerName().equals(BrokerCheck.class.getName()));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
