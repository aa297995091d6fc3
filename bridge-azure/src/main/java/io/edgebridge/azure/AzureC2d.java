package io.edgebridge.azure;

import com.microsoft.azure.sdk.iot.device.IotHubMessageResult;
import com.microsoft.azure.sdk.iot.device.Message;
import com.microsoft.azure.sdk.iot.device.MessageProperty;
import io.edgebridge.config.template.CloudTopic;
import io.edgebridge.core.api.DownstreamSubscription;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.support.Futures;
import io.edgebridge.core.support.LogLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cloud-to-device messages (module input messages in edge-module mode), handed to the sink's
 * {@link DownstreamSubscription} under {@code c2dTopic} (rendered from their application properties)
 * and settled with IoT Hub by the SDK's synchronous callback, whose result is the acknowledgement.
 *
 * <p>The callback blocks (at most {@code c2dTimeout}) until the local broker acknowledged: COMPLETE
 * after the local PUBACK; REJECT when a property would make an invalid topic level; ABANDON when the
 * local publish did not finish in time. Over MQTT the SDK acknowledges whatever the result (IoT Hub
 * has no abandon or reject there), so a message returned as ABANDON is not redelivered: the callback
 * returns but does not give the handler's stage up, and the local publish stays queued in the bridge
 * until the broker is back (one copy, lost only if the bridge stops first). Giving it up would lose
 * it. A message IoT Hub redelivers after a reconnect (it was not acknowledged yet) joins a delivery of
 * it still in progress by its identity ({@link C2dIdentity}). Each result is counted
 * ({@code edgebridge.azure.c2d{sink,result}}).
 */
final class AzureC2d {

    /** Logs as the sink: one logger name for an operator to follow. */
    private static final Logger log = LoggerFactory.getLogger(AzureIotHubSink.class);

    private final String sink;
    private final AzureIotHubOptions options;
    private final DownstreamSubscription downstream;
    private final BooleanSupplier closed;
    private final Counter completed;
    private final Counter rejected;
    private final Counter abandoned;
    private final LogLimit abandonLog = new LogLimit();

    AzureC2d(String sink, AzureIotHubOptions options, DownstreamSubscription downstream, BooleanSupplier closed,
            MeterRegistry meters) {
        this.sink = sink;
        this.options = options;
        this.downstream = downstream;
        this.closed = closed;
        this.completed = counter(meters, "completed");
        this.rejected = counter(meters, "rejected");
        this.abandoned = counter(meters, "abandoned");
    }

    private Counter counter(MeterRegistry meters, String result) {
        return Counter.builder("edgebridge.azure.c2d")
                .description("Cloud-to-device messages by how they were settled with IoT Hub")
                .tag("sink", sink).tag("result", result).register(meters);
    }

    /** Whether the sink has downstream routes: only then does a client take cloud-to-device messages. */
    boolean wanted() {
        return downstream.hasHandler();
    }

    /** The SDK's cloud-to-device callback (on its thread): hands the message over, waits, and settles it. */
    IotHubMessageResult onMessage(Message message) {
        if (!downstream.hasHandler() || closed.getAsBoolean()) {
            abandoned.increment();
            return IotHubMessageResult.ABANDON;
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (MessageProperty p : message.getProperties()) {
            properties.put(p.getName(), p.getValue());
        }
        CloudTopic.Result topic = CloudTopic.render(options.c2dTopic(), properties, "application property");
        if (topic instanceof CloudTopic.Rejected invalid) {
            rejected.increment();
            downstream.reject("cloud-to-device message " + message.getMessageId() + ": " + invalid.reason());
            return IotHubMessageResult.REJECT;
        }
        byte[] body = message.getBytes() == null ? new byte[0] : message.getBytes();
        String routedTopic = ((CloudTopic.Routed) topic).topic();
        InboundMessage inbound = new InboundMessage(routedTopic, body, properties,
                Optional.ofNullable(message.getContentType()), C2dIdentity.of(message.getMessageId(), routedTopic, body));
        try {
            downstream.deliver(inbound).toCompletableFuture().get(options.c2dTimeout().toMillis(), TimeUnit.MILLISECONDS);
            completed.increment();
            return IotHubMessageResult.COMPLETE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return abandon(message, "interrupted");
        } catch (TimeoutException e) {
            return abandon(message, "the local broker did not acknowledge within " + options.c2dTimeout()
                    + "; the bridge keeps the message and publishes it when the local broker is back");
        } catch (ExecutionException | RuntimeException e) {
            return abandon(message, Futures.unwrap(e).toString());
        }
    }

    private IotHubMessageResult abandon(Message message, String why) {
        abandoned.increment();
        LogLimit.Pass pass = abandonLog.admit();
        if (pass.logs()) {
            log.atWarn().addKeyValue("sink", sink).addKeyValue("messageId", message.getMessageId())
                    .log("abandoned a cloud-to-device message (IoT Hub over MQTT does not redeliver it): {}{}", why,
                            pass.suffix());
        }
        return IotHubMessageResult.ABANDON;
    }
}
