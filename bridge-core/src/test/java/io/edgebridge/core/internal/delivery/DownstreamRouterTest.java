package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.core.api.InboundMessage;
import io.edgebridge.core.internal.mqtt.PacketTooLargeException;
import io.edgebridge.core.internal.route.RouteTable;
import io.edgebridge.core.internal.stats.BridgeMetrics;
import io.edgebridge.core.testing.Configs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DownstreamRouterTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final FakeLocal local = new FakeLocal();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private DownstreamRouter router() {
        BridgeConfig config = Configs.parse("""
                sinks:
                  cloud: { type: mqtt, uri: "mqtt://127.0.0.1:1883" }
                routes:
                  - name: commands
                    direction: downstream
                    from: { sink: cloud, topic: commands/<deviceId> }
                    to: devices/<deviceId>/commands
                """);
        BridgeMetrics metrics = new BridgeMetrics(registry);
        return new DownstreamRouter("cloud", RouteTable.compile(config, metrics).downstreamFor("cloud"), local,
                scheduler, metrics, 3);
    }

    /** A cloud message larger than the local broker takes used to be retried for ever, never acknowledged. */
    @Test
    void aMessageTheLocalBrokerCanNeverTake_isDroppedAndCountedAtOnce() throws Exception {
        local.respondWith(p -> CompletableFuture.failedFuture(new PacketTooLargeException(300_000, 131_072)));
        router().onMessage(new InboundMessage("commands/d1", new byte[300_000], Map.of(), Optional.empty()))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(local.attempts).hasSize(1);
        assertThat(registry.find("edgebridge.messages.dropped").tags("direction", "downstream", "reason", "refused")
                .counter().count()).isEqualTo(1);
    }
}
