package io.edgebridge.core.internal.sink.mqtt;

import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.api.SinkFactory;
import io.edgebridge.core.internal.mqtt.MqttLinks;
import java.util.HashSet;
import java.util.Set;

/** {@code type: mqtt}: any MQTT 3.1.1 or 5 broker, upstream and downstream. */
public final class MqttSinkFactory implements SinkFactory {

    static final String URI = "uri";
    /** How many cloud messages may wait for their local PUBACK before the broker pauses. */
    static final int DOWNSTREAM_RECEIVE_MAXIMUM = 1000;

    @Override
    public String type() {
        return "mqtt";
    }

    @Override
    public Object parseOptions(String sinkName, ConfigMap options) {
        var endpoint = options.mqttEndpoint(URI, "edgebridge-" + sinkName);
        Set<String> keys = new HashSet<>(ConfigMap.ENDPOINT_KEYS);
        keys.add(URI);
        options.checkKeys(keys);
        return new MqttSinkOptions(endpoint.orElse(null));
    }

    @Override
    public boolean supportsDownstream() {
        return true;
    }

    @Override
    public Sink create(SinkConfig config, SinkContext context) throws Exception {
        MqttSinkOptions options = config.options(MqttSinkOptions.class);
        return new MqttSink(config.name(),
                MqttLinks.create(options.endpoint(), "sink " + config.name(), DOWNSTREAM_RECEIVE_MAXIMUM));
    }
}
