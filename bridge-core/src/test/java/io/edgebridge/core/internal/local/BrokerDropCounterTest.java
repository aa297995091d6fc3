package io.edgebridge.core.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.hivemq.logging.EventLog;
import io.edgebridge.core.testing.LogCapture;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The counter hears HiveMQ's own event log ({@code com.hivemq.logging.EventLog}, called here as the
 * broker calls it when it drops a queued message), keeps the bridge's client only, and puts the
 * event logger back as it was when it detaches.
 */
class BrokerDropCounterTest {

    @Test
    void aMessageHiveMqDropsForTheBridge_isCountedAsTheBridgesLoss_andOneForADeviceByReason() {
        List<String> bridge = new CopyOnWriteArrayList<>();
        List<String> devices = new CopyOnWriteArrayList<>();
        EventLog hivemq = new EventLog();
        try (LogCapture logs = LogCapture.start()) {
            BrokerDropCounter counter = BrokerDropCounter.attach("edgebridge-1", (topic, reason) -> bridge.add(topic),
                    devices::add).orElseThrow();
            try {
                hivemq.messageDropped("edgebridge-1", "sensors/a/telemetry", 1, "The client message queue is full");
                hivemq.messageDropped("some-device", "commands/d1/set", 1, "The client message queue is full");
                hivemq.messageDropped("edgebridge-1", "sensors/c/telemetry", 1, "The client message queue is full");
                // The reason MessageDroppedServiceImpl.qos0MemoryExceeded gives.
                hivemq.messageDropped("other-device", "sensors/x", 0,
                        "The QoS 0 memory limit exceeded, size: 1,024 bytes, max: 512 bytes");
                // A device's publish an interceptor refused (HiveMQ names the publisher): not a queued message.
                hivemq.messageDropped("refused-device", "sensors/y", 1, "Extension prevented onward delivery");
            } finally {
                counter.detach();
            }

            assertThat(bridge).containsExactly("sensors/a/telemetry", "sensors/c/telemetry");
            assertThat(devices).containsExactly("queue-full", "qos0-memory");
            assertThat(logs.lines()).as("one line per reason (bridge) or client (devices) per 10 s").hasSize(3);
            assertThat(logs.lines().get(0)).contains("dropped a message queued for the bridge")
                    .contains("The client message queue is full").contains("reason=local-broker");
            assertThat(logs.lines().get(1)).contains("queued for client 'some-device'")
                    .contains("edgebridge_local_dropped_total{reason=queue-full}");
        }
    }

    @Test
    void detach_restoresTheEventLoggersLevelAndAdditivity() {
        Logger events = (Logger) LoggerFactory.getLogger(BrokerDropCounter.EVENT_LOGGER);
        Level before = events.getLevel();
        boolean additiveBefore = events.isAdditive();

        BrokerDropCounter counter = BrokerDropCounter.attach("edgebridge-1", (topic, reason) -> { }, reason -> { }).orElseThrow();
        assertThat(events.getLevel()).isEqualTo(Level.DEBUG);
        assertThat(events.isAdditive()).as("HiveMQ's DEBUG events stay out of the root appenders").isFalse();
        counter.detach();

        assertThat(events.getLevel()).isEqualTo(before);
        assertThat(events.isAdditive()).isEqualTo(additiveBefore);
    }

    @Test
    void twoBridgesInOneJvm_theFirstToDetachLeavesTheOtherListening() {
        Logger events = (Logger) LoggerFactory.getLogger(BrokerDropCounter.EVENT_LOGGER);
        Level before = events.getLevel();
        List<String> second = new CopyOnWriteArrayList<>();
        BrokerDropCounter one = BrokerDropCounter.attach("bridge-1", (topic, reason) -> { }, reason -> { }).orElseThrow();
        BrokerDropCounter two = BrokerDropCounter.attach("bridge-2", (topic, reason) -> second.add(topic), reason -> { })
                .orElseThrow();

        one.detach();
        new EventLog().messageDropped("bridge-2", "t", 1, "The client message queue is full");
        two.detach();

        assertThat(second).containsExactly("t");
        assertThat(events.getLevel()).isEqualTo(before);
    }
}
