package io.edgebridge.core.internal.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientState;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import io.edgebridge.config.Backoff;
import io.edgebridge.config.BrokerListener;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.MqttEndpointConfig;
import io.edgebridge.config.MqttEndpointConfig.MqttVersion;
import io.edgebridge.core.internal.mqtt.MqttLinks;
import io.edgebridge.core.internal.spool.SpoolFullException;
import io.edgebridge.core.internal.spool.SpoolUnwritableException;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.testing.Ports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker's in-process intake against a real HiveMQ and a real MQTT 5 device: while the
 * spool can only fail by an I/O fault, a connection's QoS 1 publishes reach the spool without waiting
 * for each other and each PUBACK waits for its own message; a message the spool then fails is never
 * acknowledged (the device is disconnected); otherwise the publish itself waits and a refusal carries
 * its reason code.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipelinedIntakeTest {

    @TempDir
    Path dir;

    private EmbeddedLocalBroker broker;
    private Mqtt5AsyncClient device;

    /**
     * A spool stand-in: every accepted message waits until the test answers for it, or, with
     * {@code autoAnswerMillis}, is stored that long after it was accepted (a slow fsync).
     */
    static final class HeldIntake implements Intake {
        final List<CompletableFuture<Void>> accepted = new CopyOnWriteArrayList<>();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger mostOpen = new AtomicInteger();
        volatile boolean certain;
        volatile long autoAnswerMillis;

        @Override
        public CompletableFuture<Void> accept(String topic, byte[] payload, int qos, boolean retain) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            f.whenComplete((ok, e) -> open.decrementAndGet());
            accepted.add(f);
            if (autoAnswerMillis > 0) {
                CompletableFuture.delayedExecutor(autoAnswerMillis, TimeUnit.MILLISECONDS).execute(() -> f.complete(null));
            }
            return f;
        }

        @Override
        public Accepted acceptCertain(String topic, byte[] payload, int qos, boolean retain) {
            return new Accepted(accept(topic, payload, qos, retain), certain);
        }
    }

    private HeldIntake start() throws Exception {
        int port = Ports.free();
        EmbeddedBrokerConfig config = new EmbeddedBrokerConfig(List.of(BrokerListener.plain("127.0.0.1", port)),
                dir.resolve("broker"), EmbeddedBrokerConfig.Persistence.IN_MEMORY, 1000,
                EmbeddedBrokerConfig.QueueStrategy.DISCARD, EmbeddedBrokerConfig.Intake.EXTENSION, Optional.empty(),
                Optional.empty());
        MqttEndpointConfig endpoint = new MqttEndpointConfig("127.0.0.1", port, false, "edgebridge-test",
                Optional.empty(), Optional.empty(), Optional.empty(), MqttVersion.V5, Duration.ZERO,
                Duration.ofSeconds(30), Duration.ofSeconds(5),
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), 0));
        broker = new EmbeddedLocalBroker(config, endpoint, e -> MqttLinks.create(e, "local", 100),
                new BridgeMetrics(new SimpleMeterRegistry()));
        HeldIntake intake = new HeldIntake();
        broker.start(intake, List.of()).get(60, TimeUnit.SECONDS);
        device = MqttClient.builder().useMqttVersion5().identifier("device-1").serverHost("127.0.0.1")
                .serverPort(port).buildAsync();
        device.connect().get(10, TimeUnit.SECONDS);
        return intake;
    }

    @AfterEach
    void stop() {
        if (device != null && device.getState().isConnected()) {
            device.disconnect();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private CompletableFuture<Mqtt5PublishResult> publish(int i, MqttQos qos) {
        return device.publishWith().topic("sensors/d1/telemetry").qos(qos)
                .payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
    }

    @Test
    void whileOnlyAnIoFaultCanRefuse_aConnectionsPublishesShareTheSpoolsWait_andEachPubackWaitsForItsOwn()
            throws Exception {
        HeldIntake intake = start();
        intake.certain = true;
        CompletableFuture<Mqtt5PublishResult> first = publish(0, MqttQos.AT_LEAST_ONCE);
        await().atMost(Duration.ofSeconds(10)).until(() -> intake.accepted.size() == 1);
        await("no PUBACK before the spool answers").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> !first.isDone());
        intake.accepted.get(0).complete(null);
        assertThat(first.get(10, TimeUnit.SECONDS).getError()).isEmpty();

        // A burst with a 100 ms "fsync": holding each PUBLISH, the spool saw one at a time.
        intake.autoAnswerMillis = 100;
        List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            sent.add(publish(i, MqttQos.AT_LEAST_ONCE));
        }
        for (CompletableFuture<Mqtt5PublishResult> f : sent) {
            assertThat(f.get(20, TimeUnit.SECONDS).getError()).isEmpty();
        }
        assertThat(intake.mostOpen.get()).as("publishes of one connection waiting for the spool at once").isGreaterThan(1);
    }

    @Test
    void aPipelinedMessageTheSpoolFails_isNeverAcknowledged_theDeviceIsDisconnected() throws Exception {
        HeldIntake intake = start();
        intake.certain = true;
        CompletableFuture<Mqtt5PublishResult> sent = publish(1, MqttQos.AT_LEAST_ONCE);
        await().atMost(Duration.ofSeconds(10)).until(() -> intake.accepted.size() == 1);
        intake.accepted.get(0).completeExceptionally(new SpoolUnwritableException("disk full"));

        await().atMost(Duration.ofSeconds(10)).until(() -> device.getState() != MqttClientState.CONNECTED);
        // Never a success: the publish fails with the connection (or is still unanswered).
        await("never a PUBACK for a message the spool did not store").during(Duration.ofMillis(300))
                .atMost(Duration.ofSeconds(2))
                .until(() -> !(sent.isDone() && !sent.isCompletedExceptionally() && sent.join().getError().isEmpty()));
    }

    @Test
    void whenTheSpoolMayRefuse_thePublishWaits_andARefusalCarriesItsReasonCode() throws Exception {
        HeldIntake intake = start();
        intake.certain = false;
        CompletableFuture<Mqtt5PublishResult> first = publish(1, MqttQos.AT_LEAST_ONCE);
        CompletableFuture<Mqtt5PublishResult> second = publish(2, MqttQos.AT_LEAST_ONCE);
        await().atMost(Duration.ofSeconds(10)).until(() -> intake.accepted.size() == 1);
        await("the second waits for the first's answer").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> intake.accepted.size() == 1);

        intake.accepted.get(0).completeExceptionally(new SpoolFullException(1024));
        await().atMost(Duration.ofSeconds(10)).until(() -> intake.accepted.size() == 2);
        intake.accepted.get(1).complete(null);
        assertThat(second.get(10, TimeUnit.SECONDS).getError()).isEmpty();
        // (The client completes its publishes in order; a refusal fails the future.)
        Throwable refusal = first.handle((r, e) -> e != null ? Futures.unwrap(e) : r.getError().orElse(null))
                .get(10, TimeUnit.SECONDS);
        assertThat(refusal).isInstanceOfSatisfying(Mqtt5PubAckException.class, e ->
                assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5PubAckReasonCode.QUOTA_EXCEEDED));
        assertThat(device.getState()).isEqualTo(MqttClientState.CONNECTED);
    }

    @Test
    void qos2_isNeverPipelined() throws Exception {
        HeldIntake intake = start();
        intake.certain = true;
        CompletableFuture<Mqtt5PublishResult> first = publish(1, MqttQos.EXACTLY_ONCE);
        publish(2, MqttQos.EXACTLY_ONCE);
        await().atMost(Duration.ofSeconds(10)).until(() -> intake.accepted.size() == 1);
        await("QoS 2: the second waits for the first's answer").during(Duration.ofMillis(300))
                .atMost(Duration.ofSeconds(2)).until(() -> intake.accepted.size() == 1 && !first.isDone());
        intake.accepted.get(0).complete(null);
        await().atMost(Duration.ofSeconds(10)).until(() -> intake.accepted.size() == 2);
        assertThat(first.get(10, TimeUnit.SECONDS).getError()).isEmpty();
        intake.accepted.get(1).complete(null);
    }
}
