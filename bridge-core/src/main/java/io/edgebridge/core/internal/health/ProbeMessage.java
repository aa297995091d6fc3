package io.edgebridge.core.internal.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgebridge.config.ProbeConfig;
import io.edgebridge.core.api.OutboundMessage;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** The message a probe sends: small JSON naming the bridge, the sink and the time. */
final class ProbeMessage {

    /** The route name probes carry, so sinks and logs can tell them from routed messages. */
    static final String ROUTE = "edgebridge-probe";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ProbeMessage() {
    }

    static OutboundMessage create(ProbeConfig probe, String clientId, String sink, long now) {
        ObjectNode body = JSON.createObjectNode()
                .put("probe", true)
                .put("clientId", clientId)
                .put("sink", sink)
                .put("time", Instant.ofEpochMilli(now).toString());
        byte[] payload;
        try {
            payload = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return new OutboundMessage(ROUTE, probe.topic(), payload, 1, false, Map.of(),
                Optional.of("application/json"), Optional.empty(), "", now, -1);
    }
}
