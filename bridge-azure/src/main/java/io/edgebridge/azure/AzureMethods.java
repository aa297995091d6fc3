package io.edgebridge.azure;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodPayload;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.MethodCallback;
import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.config.template.Template;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.api.RequestOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import io.edgebridge.core.support.LogLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct methods: a call becomes an MQTT 5 request on the local broker, matched by the sink's
 * downstream routes under {@code methodTopic} (rendered from {@code method} and the top-level values
 * of a JSON object payload, each a single valid topic level), and the device's answer becomes the
 * method's response: its payload (JSON, or the text as a JSON string) and status (the answer's user
 * property {@code status}, default 200). No matching route: 404; a value that is not a valid topic
 * level: 400; no answer within {@code methodTimeout}: 504; the local publish failed: 502. Each
 * outcome is counted ({@code edgebridge.azure.methods{sink,result}}). Requests go through the sink's
 * {@link DownstreamSubscription}.
 *
 * <p>The SDK's method callback is synchronous: methods are answered one at a time.
 */
final class AzureMethods implements MethodCallback {

    private static final Logger log = LoggerFactory.getLogger(AzureMethods.class);
    /** The cloud can call methods that fail as often as it likes: one line per outcome and interval. */
    private final LogLimit errorLog = new LogLimit();
    static final String METHOD = "method";
    static final String STATUS = "status";

    private final String sink;
    private final Template topic;
    private final Duration timeout;
    private final DownstreamSubscription downstream;
    private final Map<String, Counter> results = new LinkedHashMap<>();

    AzureMethods(String sink, Template topic, Duration timeout, DownstreamSubscription downstream,
            MeterRegistry meters) {
        this.sink = sink;
        this.topic = topic;
        this.timeout = timeout;
        this.downstream = downstream;
        for (String result : new String[] {"answered", "no-route", "invalid", "timeout", "failed"}) {
            results.put(result, Counter.builder("edgebridge.azure.methods")
                    .description("Direct method calls by how they ended")
                    .tag("sink", sink).tag("result", result).register(meters));
        }
    }

    @Override
    public DirectMethodResponse onMethodInvoked(String method, DirectMethodPayload payload, Object context) {
        String json = payload == null ? null : payload.getPayloadAsJsonString();
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        Map<String, String> values = new LinkedHashMap<>();
        values.put(METHOD, method);
        values.putAll(topLevelValues(json));
        CloudTopic.Result rendered = CloudTopic.render(topic, values, "method value");
        if (rendered instanceof CloudTopic.Rejected invalid) {
            return end("invalid", method, 400, invalid.reason());
        }
        InboundMessage request = new InboundMessage(((CloudTopic.Routed) rendered).topic(), body,
                Map.of(METHOD, method), Optional.of(AzureMessages.JSON));
        RequestOutcome outcome;
        try {
            outcome = downstream.request(request, timeout).toCompletableFuture()
                    .get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return end("failed", method, 502, "interrupted");
        } catch (Exception e) {
            return end("failed", method, 502, "the local request failed: " + e);
        }
        if (outcome instanceof RequestOutcome.Answered answered) {
            results.get("answered").increment();
            int status = status(answered.properties().get(STATUS));
            log.atDebug().addKeyValue("sink", sink).addKeyValue("method", method).addKeyValue("status", status)
                    .log("direct method answered");
            return new DirectMethodResponse(status, json(answered.payload()));
        }
        if (outcome instanceof RequestOutcome.NoRoute) {
            return end("no-route", method, 404, "no route for method '" + method + "'");
        }
        if (outcome instanceof RequestOutcome.Invalid invalid) {
            return end("invalid", method, 400, invalid.reason());
        }
        if (outcome instanceof RequestOutcome.TimedOut timedOut) {
            return end("timeout", method, 504, "no response from the device within " + timedOut.after().toMillis()
                    + " ms");
        }
        return end("failed", method, 502, ((RequestOutcome.Failed) outcome).reason());
    }

    private DirectMethodResponse end(String result, String method, int status, String reason) {
        results.get(result).increment();
        LogLimit.Pass pass = errorLog.admit(result);
        if (pass.logs()) {
            log.atWarn().addKeyValue("sink", sink).addKeyValue("method", method).addKeyValue("status", status)
                    .log("direct method '{}' answered {}: {}{}", method, status, reason, pass.suffix());
        }
        JsonObject error = new JsonObject();
        error.addProperty("error", reason);
        return new DirectMethodResponse(status, error);
    }

    /** The string, number and boolean values at the top of a JSON object payload, as written. */
    static Map<String, String> topLevelValues(String json) {
        Map<String, String> values = new LinkedHashMap<>();
        if (json == null || json.isBlank()) {
            return values;
        }
        try {
            JsonElement element = JsonParser.parseString(json);
            if (element.isJsonObject()) {
                for (Map.Entry<String, JsonElement> e : element.getAsJsonObject().entrySet()) {
                    if (e.getValue().isJsonPrimitive()) {
                        values.put(e.getKey(), e.getValue().getAsString());
                    }
                }
            }
        } catch (JsonParseException e) {
            // not JSON: only 'method' is known
        }
        return values;
    }

    /** The device's answer as the method's JSON payload: JSON as is, other text as a JSON string. */
    static JsonElement json(byte[] payload) {
        String text = new String(payload, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return JsonNull.INSTANCE;
        }
        try {
            return JsonParser.parseString(text);
        } catch (JsonParseException e) {
            return new JsonPrimitive(text);
        }
    }

    private static int status(String value) {
        if (value == null) {
            return 200;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return 200;
        }
    }
}
