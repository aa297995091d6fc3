package io.edgebridge.core.internal.mqtt;

import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.connect;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.newSession;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.reply;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.written;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.internal.mqtt.EmbeddedMqtt.Packet;
import io.edgebridge.core.internal.mqtt.EmbeddedMqtt.ProtocolErrors;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttMessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The outgoing-publish handler on an {@code EmbeddedChannel}: packet ids, acknowledgements, protocol errors, writability. */
class MqttFlightsTest {

    private final PacketIds ids = new PacketIds();
    private final ProtocolErrors errors = new ProtocolErrors();

    private MqttFlights flights(boolean v5) {
        return new MqttFlights("test", v5, ids, Runnable::run);
    }

    private static OutgoingMessage message(String topic, int qos) {
        return message(topic, qos, 10);
    }

    private static OutgoingMessage message(String topic, int qos, int payloadBytes) {
        return new OutgoingMessage(topic, new byte[payloadBytes], qos, false, Map.of(), Optional.empty());
    }

    private static Packet publish(int id, boolean dup, String topic) {
        return new Packet(MqttMessageType.PUBLISH, id, dup, topic, 0);
    }

    @Test
    void qos1Publish_isWrittenWithPacketId1_andCompletesOnlyAtItsPuback() {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        CompletableFuture<Void> a = flights.publish(message("t/a", 1));
        CompletableFuture<Void> b = flights.publish(message("t/b", 1));
        flights.flushIfNeeded();
        assertThat(written(channel)).containsExactly(publish(1, false, "t/a"), publish(2, false, "t/b"));
        assertThat(a).isNotDone();

        channel.writeInbound(reply(MqttMessageType.PUBACK, 2));
        assertThat(b).isCompleted();
        assertThat(a).isNotDone();
        channel.writeInbound(reply(MqttMessageType.PUBACK, 1));
        assertThat(a).isCompleted();
        assertThat(ids.inUse(1)).isFalse();
        assertThat(errors.raised).isEmpty();
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void packetIds_wrapAfter65535_andSkipTheOnesStillInFlight() {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        CompletableFuture<Void> first = flights.publish(message("t/first", 1)); // id 1, never acknowledged here
        for (int id = 2; id <= 65_534; id++) { // a long run of other packets, each acknowledged
            ids.release(ids.take());
        }
        flights.publish(message("t/last", 1));
        flights.publish(message("t/wrapped", 1));
        flights.flushIfNeeded();
        assertThat(written(channel)).containsExactly(publish(1, false, "t/first"), publish(65_535, false, "t/last"),
                publish(2, false, "t/wrapped"));
        assertThat(first).isNotDone();
    }

    @Test
    void pubAck_withAnErrorReasonCode_failsThePublishWithThatCode() {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        CompletableFuture<Void> a = flights.publish(message("t/a", 1));
        channel.writeInbound(reply(MqttMessageType.PUBACK, 1, 0x97));
        assertThat(a).failsWithin(0, TimeUnit.SECONDS).withThrowableThat().havingCause()
                .isInstanceOf(PublishRejectedException.class).withMessageContaining("QUOTA_EXCEEDED");
    }

    @ParameterizedTest
    @EnumSource(value = MqttMessageType.class, names = {"PUBACK", "PUBREC", "PUBCOMP"})
    void anAcknowledgementForAnUnknownPacketId_mqtt5_isAProtocolError_disconnect0x82AndClose(MqttMessageType type) {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        CompletableFuture<Void> a = flights.publish(message("t/a", 1));
        flights.flushIfNeeded();
        written(channel);

        channel.writeInbound(reply(type, 7));

        assertThat(written(channel)).containsExactly(new Packet(MqttMessageType.DISCONNECT, 0, false, null, 0x82));
        assertThat(channel.isOpen()).isFalse();
        assertThat(errors.raised).containsExactly(new ProtocolError(type + " for an unknown packet identifier", 7));
        assertThat(a).as("still in flight: sent again on the next connection").isNotDone();
    }

    @Test
    void anAcknowledgementForAnUnknownPacketId_mqtt311_closesWithoutDisconnect() {
        MqttFlights flights = flights(false);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        channel.writeInbound(reply(MqttMessageType.PUBACK, 1));
        assertThat(written(channel)).isEmpty();
        assertThat(channel.isOpen()).isFalse();
        assertThat(errors.raised).hasSize(1);
    }

    @Test
    void aPubAckForAQos2Publish_isAProtocolError() {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        flights.publish(message("t/two", 2));
        channel.writeInbound(reply(MqttMessageType.PUBACK, 1));
        assertThat(errors.raised).containsExactly(new ProtocolError("PUBACK for a QoS 2 publish", 1));
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void qos2Publish_pubRecThenPubComp() {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        CompletableFuture<Void> a = flights.publish(message("t/two", 2));
        flights.flushIfNeeded();
        assertThat(written(channel)).containsExactly(publish(1, false, "t/two"));
        channel.writeInbound(reply(MqttMessageType.PUBREC, 1));
        assertThat(written(channel)).containsExactly(new Packet(MqttMessageType.PUBREL, 1, false, null, 0));
        assertThat(a).isNotDone();
        channel.writeInbound(reply(MqttMessageType.PUBCOMP, 1));
        assertThat(a).isCompleted();
        assertThat(errors.raised).isEmpty();
    }

    /** What the link does after a protocol error: reconnect, and the publish in flight is sent again; nothing lost. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void inFlightPublishes_areSentAgainOnTheNextConnection_afterAProtocolError(boolean sessionPresent) {
        MqttFlights flights = flights(true);
        EmbeddedChannel first = connect(errors, newSession(), flights);
        CompletableFuture<Void> a = flights.publish(message("t/a", 1));
        CompletableFuture<Void> b = flights.publish(message("t/b", 1));
        flights.flushIfNeeded();
        written(first);
        first.writeInbound(reply(MqttMessageType.PUBACK, 9));
        assertThat(first.isOpen()).isFalse();

        EmbeddedChannel second = connect(errors, new SessionStarted(sessionPresent, MqttConnector.NO_LIMIT,
                Long.MAX_VALUE), flights);
        assertThat(written(second)).containsExactly(publish(1, sessionPresent, "t/a"), publish(2, sessionPresent, "t/b"));
        second.writeInbound(reply(MqttMessageType.PUBACK, 1), reply(MqttMessageType.PUBACK, 2));
        assertThat(a).isCompleted();
        assertThat(b).isCompleted();
        assertThat(second.isActive()).isTrue();
    }

    @Test
    void theBrokersReceiveMaximum_boundsWhatIsInFlight_theRestWaits() {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, new SessionStarted(false, 2, Long.MAX_VALUE), flights);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(flights.publish(message("t/" + i, 1)));
        }
        flights.flushIfNeeded();
        assertThat(written(channel)).extracting(Packet::topic).containsExactly("t/0", "t/1");
        channel.writeInbound(reply(MqttMessageType.PUBACK, 1));
        assertThat(written(channel)).extracting(Packet::topic).containsExactly("t/2");
        assertThat(sent.get(0)).isCompleted();
    }

    /**
     * The writability gate: once Netty's outbound buffer holds more than the high water mark,
     * further publishes wait in the handler (unencoded) instead of growing the buffer, and a QoS 0
     * publish completes only when written, so a caller that bounds what it has outstanding bounds
     * the memory too.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void whileTheChannelIsNotWritable_publishesWait_andTheOutboundBufferStaysBounded(int qos) {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(2 * 1024, 8 * 1024));
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sent.add(flights.publish(message("t/" + i, qos, 1024))); // not flushed yet: Netty buffers them
        }
        long buffered = channel.unsafe().outboundBuffer().totalPendingWriteBytes();
        assertThat(channel.isWritable()).isFalse();
        assertThat(buffered).as("the high water mark and one message at most").isLessThanOrEqualTo(8 * 1024 + 1024 + 64);
        assertThat(sent).noneMatch(CompletableFuture::isDone);

        flights.flushIfNeeded(); // the socket takes everything: writable again, the rest follows
        List<Packet> packets = written(channel);
        assertThat(packets).hasSize(100);
        assertThat(packets.get(99).topic()).isEqualTo("t/99");
        if (qos == 0) {
            assertThat(sent).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        }
    }

    @Test
    void publishesWaitWhileNotWritable_andFollowWhenWritableAgain() {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, newSession(), flights);
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        CompletableFuture<Void> a = flights.publish(message("t/a", 0));
        CompletableFuture<Void> b = flights.publish(message("t/b", 1));
        flights.flushIfNeeded();
        assertThat(written(channel)).isEmpty();
        assertThat(a).isNotDone();

        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        channel.runPendingTasks();
        assertThat(written(channel)).containsExactly(publish(0, false, "t/a"), publish(1, false, "t/b"));
        assertThat(a).isCompleted();
        assertThat(b).isNotDone();
    }

    @Test
    void aQos0PublishLostWithItsConnectionBeforeItWasWritten_isSentOnTheNextOne() {
        MqttFlights flights = flights(false);
        EmbeddedChannel first = connect(errors, newSession(), flights);
        CompletableFuture<Void> a = flights.publish(message("t/a", 0)); // written, not flushed
        first.close();
        assertThat(a).isNotDone();

        EmbeddedChannel second = connect(errors, newSession(), flights);
        assertThat(written(second)).containsExactly(publish(0, false, "t/a"));
        assertThat(a).isCompleted();
    }

    @Test
    void close_failsEveryPublish_andLaterOnes() {
        MqttFlights flights = flights(true);
        EmbeddedChannel channel = connect(errors, new SessionStarted(false, 1, Long.MAX_VALUE), flights);
        CompletableFuture<Void> inFlight = flights.publish(message("t/a", 1));
        CompletableFuture<Void> queued = flights.publish(message("t/b", 1));
        flights.close(new MqttConnectionException("closed"));
        CompletableFuture<Void> later = flights.publish(message("t/c", 1));
        for (CompletableFuture<Void> f : List.of(inFlight, queued, later)) {
            assertThat(f).failsWithin(0, TimeUnit.SECONDS).withThrowableThat().havingCause()
                    .isInstanceOf(MqttConnectionException.class);
        }
        flights.flushIfNeeded();
        channel.finishAndReleaseAll();
    }
}
