package io.edgebridge.core.testing;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A device answering MQTT 5 requests on the local broker: subscribes to {@code filter} and
 * publishes {@code answer(request)} to each request's response topic with its correlation data
 * (with a user property {@code status} when the answer has one); an answer of null stays silent.
 */
public final class LocalResponder implements AutoCloseable {

    /** What to answer: payload and user properties. */
    public record Answer(String payload, Map<String, String> properties) {
    }

    private final Mqtt5AsyncClient client;
    private final List<Mqtt5Publish> requests = new CopyOnWriteArrayList<>();

    public LocalResponder(int port, String clientId, String filter, Function<Mqtt5Publish, Answer> answer)
            throws Exception {
        client = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(port).buildAsync();
        client.publishes(MqttGlobalPublishFilter.ALL, request -> {
            requests.add(request);
            Answer a = answer.apply(request);
            if (a == null || request.getResponseTopic().isEmpty()) {
                return;
            }
            Mqtt5PublishBuilder.Complete reply = Mqtt5Publish.builder().topic(request.getResponseTopic().get())
                    .qos(MqttQos.AT_LEAST_ONCE).payload(a.payload().getBytes(StandardCharsets.UTF_8));
            request.getCorrelationData().ifPresent(c -> reply.correlationData(c));
            var properties = com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties.builder();
            a.properties().forEach(properties::add);
            client.publish(reply.userProperties(properties.build()).build());
        });
        client.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
        client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);
    }

    /** The requests received so far. */
    public List<Mqtt5Publish> requests() {
        return List.copyOf(requests);
    }

    public static String text(Mqtt5Publish publish) {
        return StandardCharsets.UTF_8.decode(publish.getPayload().orElse(java.nio.ByteBuffer.allocate(0))).toString();
    }

    @Override
    public void close() throws Exception {
        client.disconnect().get(10, TimeUnit.SECONDS);
    }
}
