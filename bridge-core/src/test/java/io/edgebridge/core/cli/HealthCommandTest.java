package io.edgebridge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestBridge;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgebridge health}: the container health check without curl. */
@Timeout(120)
class HealthCommandTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void aReadyBridge_exitsZero_andPrintsItsAnswer() throws Exception {
        try (TestBridge bridge = TestBridge.start(dir, """
                dataDir: %s
                local:
                  embedded: { address: 127.0.0.1, port: %d }
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - { name: r, from: a/#, sink: out, topic: b/<#> }
                """.formatted(dir.resolve("data"), Ports.free(), dir.resolve("out.jsonl")))) {
            String url = "http://127.0.0.1:" + bridge.adminPort() + "/health/ready";
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> run("health", "--url", url).code() == 0);

            Result result = run("health", "--url", url);

            assertThat(result.code()).as(result.err()).isZero();
            assertThat(result.out()).contains("\"status\" : \"ready\"");
            assertThat(result.err()).isEmpty();
        }
    }

    @Test
    void anUnreadyAnswer_exitsOne_andPrintsTheFailedChecks() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] body = "{\"status\":\"not ready\",\"failed\":[{\"check\":\"sink:cloud\",\"reason\":\"disconnected\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        server.createContext("/health/ready", exchange -> {
            exchange.sendResponseHeaders(503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/health/ready";
            Result result = run("health", "--url", url);

            assertThat(result.code()).isEqualTo(1);
            assertThat(result.out()).contains("sink:cloud").contains("disconnected");
            assertThat(result.err()).contains(url + " answered HTTP 503");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void nothingListening_exitsOne_namingTheUrl() {
        String url = "http://127.0.0.1:" + Ports.free() + "/health/ready";
        Result result = run("health", "--url", url, "--timeout", "2");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.err()).contains("no answer from " + url);
        assertThat(result.out()).isEmpty();
    }

    @Test
    void aUrlThatIsNotHttp_isAUsageError_exitTwo() {
        Result https = run("health", "--url", "https://127.0.0.1:9090/health/ready");
        Result noHost = run("health", "--url", "http:///health/ready");
        Result zero = run("health", "--timeout", "0");

        assertThat(https.code()).isEqualTo(2);
        assertThat(https.err()).contains("--url must be an http:// URL");
        assertThat(noHost.code()).isEqualTo(2);
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("--timeout must be at least 1 second");
    }

    /** The Docker HEALTHCHECK runs {@code edgebridge health} without arguments; the URL can come from the environment. */
    @Test
    void withoutUrl_usesEdgebridgeHealthUrlFromTheEnvironment() throws Exception {
        String url = "http://127.0.0.1:" + Ports.free() + "/health/live";
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "health", "--timeout", "2"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("EDGEBRIDGE_HEALTH_URL", url);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isEqualTo(1);
        assertThat(output).contains("no answer from " + url);
    }

    @Test
    void help_showsTheDefaultUrl() {
        Result result = run("help", "health");
        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("--url").contains("EDGEBRIDGE_HEALTH_URL");
    }
}
