package io.edgebridge.core.internal.sink.file;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgebridge.core.api.OutboundMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class FileSinkTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static OutboundMessage message(String topic, byte[] payload) {
        return new OutboundMessage("r", topic, payload, 1, false, Map.of("k", "v"), Optional.of("text/plain"),
                Optional.empty(), "src/" + topic, 1234L, 7L);
    }

    @Test
    void eachMessageIsOneJsonLine_namingTheMappedTopic() throws Exception {
        Path file = dir.resolve("out/messages.jsonl");
        FileSink sink = new FileSink("out", new FileSinkOptions(file, 1 << 20, 3, true));
        sink.start();
        sink.send(message("edge/dev1/temp", "21.5".getBytes(StandardCharsets.UTF_8))).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        sink.send(message("bin", new byte[] {(byte) 0xff, 0, 1})).toCompletableFuture().get(5, TimeUnit.SECONDS);
        sink.close().toCompletableFuture().get(5, TimeUnit.SECONDS);

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        JsonNode first = JSON.readTree(lines.get(0));
        assertThat(first.get("topic").asText()).isEqualTo("edge/dev1/temp");
        assertThat(first.get("payload").asText()).isEqualTo("21.5");
        assertThat(first.get("sourceTopic").asText()).isEqualTo("src/edge/dev1/temp");
        assertThat(first.get("route").asText()).isEqualTo("r");
        assertThat(first.get("seq").asLong()).isEqualTo(7);
        assertThat(first.get("properties").get("k").asText()).isEqualTo("v");
        assertThat(first.get("contentType").asText()).isEqualTo("text/plain");
        JsonNode second = JSON.readTree(lines.get(1));
        assertThat(Base64.getDecoder().decode(second.get("payloadBase64").asText())).containsExactly(0xff, 0, 1);
    }

    @Test
    void rotatesAtMaxFileSize_keepingMaxFiles() throws Exception {
        Path file = dir.resolve("m.jsonl");
        FileSink sink = new FileSink("out", new FileSinkOptions(file, 2048, 3, false));
        sink.start();
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sends.add(sink.send(message("t/" + i, ("payload-" + i).getBytes(StandardCharsets.UTF_8)))
                    .toCompletableFuture());
        }
        CompletableFuture.allOf(sends.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
        sink.close().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(file).exists();
        assertThat(FileSink.rotated(file, 1)).exists();
        assertThat(FileSink.rotated(file, 2)).exists();
        assertThat(FileSink.rotated(file, 3)).doesNotExist();
        for (Path p : List.of(file, FileSink.rotated(file, 1), FileSink.rotated(file, 2))) {
            assertThat(Files.size(p)).isLessThanOrEqualTo(2048);
        }
        // The newest message is in the current file, older ones in .1.
        assertThat(Files.readString(file)).contains("\"t/199\"");
        assertThat(Files.readString(FileSink.rotated(file, 1))).doesNotContain("\"t/199\"");
    }

    @Test
    void anUnwritablePath_failsSendsAsRetryable() throws Exception {
        Path blocker = dir.resolve("not-a-dir");
        Files.writeString(blocker, "x");
        FileSink sink = new FileSink("out", new FileSinkOptions(blocker.resolve("m.jsonl"), 1 << 20, 2, true));
        sink.start();
        var result = sink.send(message("t", new byte[] {1})).toCompletableFuture();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> result.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(io.edgebridge.core.api.DeliveryException.class)
                .hasMessageContaining("cannot write");
        assertThat(sink.isConnected()).isFalse();
        sink.close().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
}
