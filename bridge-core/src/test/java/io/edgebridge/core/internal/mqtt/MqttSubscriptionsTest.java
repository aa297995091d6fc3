package io.edgebridge.core.internal.mqtt;

import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.connect;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.incoming;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.newSession;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.resumedSession;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.subAck;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.unsubAck;
import static io.edgebridge.core.internal.mqtt.EmbeddedMqtt.written;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.internal.mqtt.EmbeddedMqtt.Packet;
import io.edgebridge.core.internal.mqtt.EmbeddedMqtt.ProtocolErrors;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttMessageType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** The subscriptions handler on an {@code EmbeddedChannel}: (re)subscribing, SUBACK/UNSUBACK, incoming messages. */
class MqttSubscriptionsTest {

    private final PacketIds ids = new PacketIds();
    private final ProtocolErrors errors = new ProtocolErrors();
    private final MqttSubscriptions subscriptions = new MqttSubscriptions("mqtt://broker:1883", true, ids, Runnable::run);

    private static Packet subscribe(int id, String filter) {
        return new Packet(MqttMessageType.SUBSCRIBE, id, false, filter, 0);
    }

    @Test
    void aSubscribeWhileDisconnected_isSentAtTheSessionStart_andCompletesAtItsSuback() {
        CompletableFuture<Void> subscribed = subscriptions.subscribe(List.of("a/#"), false);
        EmbeddedChannel channel = connect(errors, newSession(), subscriptions);
        assertThat(written(channel)).containsExactly(subscribe(1, "a/#"));
        assertThat(subscribed).isNotDone();
        channel.writeInbound(subAck(1, 1));
        assertThat(subscribed).isCompleted();
        assertThat(ids.inUse(1)).isFalse();
    }

    @Test
    void aRefusedSubscription_failsWithTheFilterAndReasonCode() {
        EmbeddedChannel channel = connect(errors, newSession(), subscriptions);
        CompletableFuture<Void> subscribed = subscriptions.subscribe(List.of("a/#", "$private/#"), false);
        subscriptions.flushIfNeeded();
        written(channel);
        channel.writeInbound(subAck(1, 1, 0x87));
        assertThat(subscribed).failsWithin(0, TimeUnit.SECONDS).withThrowableThat()
                .withMessageContaining("refused the subscription '$private/#' (reason code 0x87)");
    }

    @Test
    void everyReconnectWithoutSession_subscribesAgain_aResumedSessionOnlyWhatWasNotAcknowledged() {
        EmbeddedChannel first = connect(errors, newSession(), subscriptions);
        subscriptions.subscribe(List.of("a/#"), false);
        subscriptions.subscribe(List.of("b/#"), false);
        subscriptions.flushIfNeeded();
        assertThat(written(first)).containsExactly(subscribe(1, "a/#"), subscribe(2, "b/#"));
        first.writeInbound(subAck(1, 1)); // b/# is still open when the connection drops
        first.close();
        assertThat(ids.inUse(2)).as("released with its connection").isFalse();

        EmbeddedChannel resumed = connect(errors, resumedSession(), subscriptions);
        assertThat(written(resumed)).containsExactly(subscribe(3, "b/#"));
        resumed.writeInbound(subAck(3, 1));
        resumed.close();

        EmbeddedChannel fresh = connect(errors, newSession(), subscriptions);
        assertThat(written(fresh)).containsExactly(subscribe(4, "a/#"), subscribe(5, "b/#"));
        assertThat(errors.raised).isEmpty();
    }

    @Test
    void unsubscribe_isSentOnTheNextConnection_orDroppedWithALostSession() {
        EmbeddedChannel first = connect(errors, newSession(), subscriptions);
        subscriptions.subscribe(List.of("a/#", "b/#"), false);
        first.writeInbound(subAck(1, 1, 1));
        first.close();
        CompletableFuture<Void> unsubscribed = subscriptions.unsubscribe(List.of("a/#"));

        EmbeddedChannel resumed = connect(errors, resumedSession(), subscriptions);
        assertThat(written(resumed)).containsExactly(new Packet(MqttMessageType.UNSUBSCRIBE, 2, false, "a/#", 0));
        resumed.writeInbound(unsubAck(2));
        assertThat(unsubscribed).isCompleted();
        resumed.close();

        EmbeddedChannel fresh = connect(errors, newSession(), subscriptions);
        assertThat(written(fresh)).containsExactly(subscribe(3, "b/#"));
    }

    @Test
    void aSubackForAnUnknownPacketId_isAProtocolError_disconnect0x82AndClose() {
        EmbeddedChannel channel = connect(errors, newSession(), subscriptions);
        CompletableFuture<Void> subscribed = subscriptions.subscribe(List.of("a/#"), false);
        subscriptions.flushIfNeeded();
        written(channel);
        channel.writeInbound(subAck(9, 1));
        assertThat(written(channel)).containsExactly(new Packet(MqttMessageType.DISCONNECT, 0, false, null, 0x82));
        assertThat(channel.isOpen()).isFalse();
        assertThat(errors.raised).containsExactly(new ProtocolError("SUBACK for an unknown packet identifier", 9));
        assertThat(subscribed).isNotDone();

        EmbeddedChannel next = connect(errors, newSession(), subscriptions);
        assertThat(written(next)).extracting(Packet::topic).containsExactly("a/#");
    }

    @Test
    void anUnsubackForAnUnknownPacketId_mqtt311_closes() {
        MqttSubscriptions v311 = new MqttSubscriptions("mqtt://broker:1883", false, ids, Runnable::run);
        EmbeddedChannel channel = connect(errors, newSession(), v311);
        channel.writeInbound(unsubAck(3));
        assertThat(written(channel)).isEmpty();
        assertThat(channel.isOpen()).isFalse();
        assertThat(errors.raised).containsExactly(new ProtocolError("UNSUBACK for an unknown packet identifier", 3));
    }

    @Test
    void anIncomingMessage_isAcknowledgedWhenTheCallerSaysSo_onlyOnTheConnectionItCameOn() {
        List<IncomingMessage> received = new ArrayList<>();
        subscriptions.onMessage(received::add);
        EmbeddedChannel first = connect(errors, newSession(), subscriptions);
        first.writeInbound(incoming("k/1", 1, 5, "one"), incoming("k/2", 1, 6, "two"));
        assertThat(received).extracting(m -> new String(m.payload(), StandardCharsets.UTF_8)).containsExactly("one", "two");
        assertThat(written(first)).isEmpty();

        received.get(0).ack();
        subscriptions.flushIfNeeded();
        assertThat(written(first)).containsExactly(new Packet(MqttMessageType.PUBACK, 5, false, null, 0));
        first.close();

        EmbeddedChannel second = connect(errors, resumedSession(), subscriptions);
        received.get(1).ack(); // came on the first connection: the broker redelivers it on this one
        subscriptions.flushIfNeeded();
        assertThat(written(second)).isEmpty();
        second.writeInbound(incoming("k/2", 1, 6, "two"));
        assertThat(received.get(2).sessionKey()).isEqualTo(received.get(1).sessionKey()).isEqualTo(Optional.of("1:6"));
        second.close();

        EmbeddedChannel fresh = connect(errors, newSession(), subscriptions);
        fresh.writeInbound(incoming("k/3", 1, 6, "three"));
        assertThat(received.get(3).sessionKey()).as("a new session: a new key").contains("2:6");
    }

    @Test
    void anIncomingQos2Message_getsPubrecWhenAcknowledged_andPubcompAtPubrel() {
        List<IncomingMessage> received = new ArrayList<>();
        subscriptions.onMessage(received::add);
        EmbeddedChannel channel = connect(errors, newSession(), subscriptions);
        channel.writeInbound(incoming("q/2", 2, 4, "x"));
        received.get(0).ack();
        channel.writeInbound(EmbeddedMqtt.reply(MqttMessageType.PUBREL, 4));
        assertThat(written(channel)).containsExactly(new Packet(MqttMessageType.PUBREC, 4, false, null, 0),
                new Packet(MqttMessageType.PUBCOMP, 4, false, null, 0));
    }

    @Test
    void subscriptionsAndPublishes_shareThePacketIds() {
        MqttFlights flights = new MqttFlights("test", true, ids, Runnable::run);
        EmbeddedChannel channel = connect(errors, newSession(), subscriptions, flights);
        subscriptions.subscribe(List.of("a/#"), false);
        CompletableFuture<Void> published = flights.publish(
                new OutgoingMessage("t/1", new byte[1], 1, false, Map.of(), Optional.empty()));
        subscriptions.flushIfNeeded();
        flights.flushIfNeeded();
        assertThat(written(channel)).extracting(Packet::type, Packet::packetId).containsExactly(
                Tuple.tuple(MqttMessageType.SUBSCRIBE, 1),
                Tuple.tuple(MqttMessageType.PUBLISH, 2));
        channel.writeInbound(EmbeddedMqtt.reply(MqttMessageType.PUBACK, 1));
        assertThat(errors.raised).as("a PUBACK with a subscription's id is not a publish's")
                .containsExactly(new ProtocolError("PUBACK for an unknown packet identifier", 1));
        assertThat(published).isNotDone();
    }
}
