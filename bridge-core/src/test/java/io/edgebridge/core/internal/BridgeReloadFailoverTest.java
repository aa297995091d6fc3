package io.edgebridge.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.TestBridge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Bridge#apply} with a failover group added in the same reload that changes one of its
 * members: the group starts over the member as it runs (so it receives from the first message its
 * route takes), and is recreated over the new member once that is up, rather than keeping the old,
 * closed one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BridgeReloadFailoverTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void groupAddedWithAChangedMember_sendsThroughTheNewMember() throws Exception {
        int localPort = Ports.free();
        String before = Configs.embeddedToFile(dir, localPort) + """
                  alt: { type: file, path: %s }
                routes:
                  - { name: telemetry, from: sensors/<deviceId>/data, sink: out, topic: out/<deviceId> }
                """.formatted(dir.resolve("alt.jsonl"));
        String after = Configs.embeddedToFile(dir, localPort).replace("out.jsonl", "out-v2.jsonl") + """
                  alt: { type: file, path: %s }
                  pair: { type: failover, members: [out, alt] }
                routes:
                  - { name: telemetry, from: sensors/<deviceId>/data, sink: out, topic: out/<deviceId> }
                  - { name: paired, from: paired/<deviceId>, sink: pair, topic: paired/<deviceId> }
                """.formatted(dir.resolve("alt.jsonl"));
        try (var bridge = TestBridge.start(dir.resolve("bridge"), before);
                var devices = new Publisher(localPort, 10)) {
            Bridge.ReloadResult result = bridge.reload(after);

            assertThat(result.sinksAdded()).containsExactly("pair");
            assertThat(result.sinksChanged()).containsExactly("out");
            assertThat(result.sinksFailed()).isEmpty();
            devices.publish("paired/d1", "through-the-group").join();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> contains(dir.resolve("out-v2.jsonl"), "through-the-group")
                            || contains(dir.resolve("alt.jsonl"), "through-the-group"));
            assertThat(contains(dir.resolve("out-v2.jsonl"), "through-the-group")).as("sent by the new 'out'").isTrue();
            assertThat(contains(dir.resolve("alt.jsonl"), "through-the-group")).as("sent by 'alt'").isFalse();
        }
    }

    private static boolean contains(Path file, String text) throws Exception {
        return Files.exists(file) && Files.readString(file).contains(text);
    }
}
