package io.edgebridge.core.internal.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.config.AdminConfig;
import io.edgebridge.core.testing.Configs;
import io.edgebridge.core.testing.HealthProbe;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestBridge;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admin server against malformed and odd requests: each gets the status the server promises
 * (or, where no HTTP answer is possible, a clean close), and the server keeps serving afterwards.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminHttpRobustnessTest {

    /** Expected when the server closes without answering (nothing parseable was received). */
    private static final int NO_RESPONSE = -1;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;

    private static TestBridge bridge;
    private static int port;

    @BeforeAll
    static void startBridge() throws Exception {
        bridge = TestBridge.start(dir, Configs.embeddedToFile(dir, Ports.free()) + """
                routes:
                  - { name: telemetry, from: sensors/<deviceId>/data, sink: out, topic: out/<deviceId> }
                """);
        port = bridge.adminPort();
    }

    @AfterAll
    static void stopBridge() {
        if (bridge != null) {
            bridge.close();
        }
    }

    @AfterEach
    void theServerStillAnswers() throws IOException {
        RawHttp.Response live = RawHttp.get(port, "/health/live");
        assertThat(live.status()).isEqualTo(200);
        assertThat(live.text()).contains("\"live\"");
    }

    static Stream<Arguments> oddRequests() {
        String longPath = "/" + "a".repeat(5000);
        String longHeader = "X-Long: " + "b".repeat(9000) + "\r\n";
        StringBuilder manyHeaders = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            manyHeaders.append("X-H").append(i).append(": ").append("v".repeat(50)).append("\r\n");
        }
        byte[] garbage = new byte[256];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = (byte) (i * 31 + 7);
        }
        garbage[0] = (byte) 0xff;
        return Stream.of(
                // request, expected status, whether the server closes the connection afterwards
                Arguments.of("binary garbage", bytes(garbage), 400, true),
                Arguments.of("TLS ClientHello", bytes(clientHello()), 400, true),
                Arguments.of("NUL bytes first", "\0\0\0\0GET / HTTP/1.1\r\n\r\n", 400, true),
                Arguments.of("HTTP/2 prior-knowledge preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, true),
                Arguments.of("unknown HTTP version", "GET /status HTTP/9.9\r\nHost: x\r\n\r\n", 505, true),
                Arguments.of("request line over 4 KB", "GET " + longPath + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, true),
                Arguments.of("one header over 8 KB", "GET /status HTTP/1.1\r\nHost: x\r\n" + longHeader + "\r\n", 431,
                        true),
                Arguments.of("headers over 8 KB in total", "GET /status HTTP/1.1\r\nHost: x\r\n" + manyHeaders + "\r\n",
                        431, true),
                Arguments.of("a response line sent as a request", "HTTP/1.1 200 OK\r\n\r\n", 400, true),
                Arguments.of("one word", "HELLO\r\n\r\n", 400, true),
                Arguments.of("HTTP/0.9 request line", "GET /status\r\n\r\n", 400, true),
                Arguments.of("control character in the request line", "GET /sta\u0001tus HTTP/1.1\r\n\r\n", 400, true),
                Arguments.of("header line without colon", "GET /status HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", 400,
                        true),
                Arguments.of("invalid Content-Length", "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                        400, true),
                Arguments.of("negative Content-Length", "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                        400, true),
                Arguments.of("unknown method", "BREW /status HTTP/1.1\r\nHost: x\r\n\r\n", 405, false),
                Arguments.of("POST without a body", "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                        405, false),
                Arguments.of("DELETE", "DELETE /health/live HTTP/1.1\r\nHost: x\r\n\r\n", 405, false),
                Arguments.of("lower-case method", "get /status HTTP/1.1\r\nHost: x\r\n\r\n", 405, false),
                Arguments.of("POST with a body", "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd",
                        405, true),
                Arguments.of("unknown path", "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n", 404, false),
                Arguments.of("path traversal", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404, false),
                Arguments.of("bad percent-encoding", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, true),
                Arguments.of("GET with a body", "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
                        413, true),
                Arguments.of("GET with a chunked body",
                        "GET /status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 413,
                        true),
                // Netty refuses the ambiguous framing outright (a request-smuggling guard).
                Arguments.of("Content-Length and chunked together",
                        "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        400, true),
                Arguments.of("HTTP/1.1 without Host is accepted", "GET /health/live HTTP/1.1\r\n\r\n", 200, false),
                Arguments.of("query string ignored", "GET /health/live?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n", 200, false),
                Arguments.of("blank lines before the request", "\r\n\r\nGET /health/live HTTP/1.1\r\nHost: x\r\n\r\n", 200,
                        false),
                Arguments.of("HTTP/1.0 closes by default", "GET /health/live HTTP/1.0\r\n\r\n", 200, true),
                Arguments.of("Connection: close", "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200,
                        true),
                Arguments.of("only blank lines, then the client stops sending", "\r\n\r\n\r\n", NO_RESPONSE, true),
                Arguments.of("half a request, then the client stops sending", "GET /status HTTP/1.1\r\nHo", NO_RESPONSE,
                        true));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("oddRequests")
    void oddRequest_getsTheAnswerPromised_andTheServerKeepsServing(String name, String request, int status,
            boolean closes) throws IOException {
        try (RawHttp http = new RawHttp(port)) {
            http.send(request);
            if (status == NO_RESPONSE) {
                // Half-close: nothing more will come, so the server must close without an answer.
                http.shutdownOutput();
                assertThat(http.read(false)).as("a response to an incomplete request").isEmpty();
                return;
            }
            RawHttp.Response response = http.read();
            assertThat(response.status()).as(response.statusLine() + " " + response.text()).isEqualTo(status);
            if (status == 405) {
                assertThat(response.header("Allow")).isEqualTo("GET, HEAD");
            }
            if (status >= 400) {
                assertThat(response.text()).as("never echoes the request").doesNotContain("zz", "passwd", "BREW", "hello");
            }
            if (closes) {
                assertThat(http.closedByServer()).as("connection closed after the response").isTrue();
            } else {
                assertThat(http.staysOpen()).as("connection kept open after the response").isTrue();
            }
        }
    }

    @Test
    void keepAlive_servesManyRequestsOnOneConnection_inHttp11AndHttp10() throws IOException {
        try (RawHttp http = new RawHttp(port)) {
            for (int i = 0; i < 5; i++) {
                http.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(http.read().status()).isEqualTo(200);
            }
            // Pipelined: two requests in one write, two answers in order.
            http.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(200);
            assertThat(http.read().status()).isEqualTo(404);
            assertThat(http.staysOpen()).isTrue();
        }
        try (RawHttp http = new RawHttp(port)) {
            for (int i = 0; i < 3; i++) {
                http.send("GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                RawHttp.Response response = http.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("Connection")).isEqualToIgnoringCase("keep-alive");
            }
            assertThat(http.staysOpen()).isTrue();
        }
    }

    @Test
    void head_answersTheHeadersOfGet_withoutABody() throws IOException {
        try (RawHttp http = new RawHttp(port)) {
            http.send("HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = http.read(true).orElseThrow();
            http.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response next = http.read();

            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Type")).isEqualTo("application/json");
            assertThat(Integer.parseInt(head.header("Content-Length"))).isPositive();
            // Had the HEAD answer carried a body, it would be read here instead of the next status line.
            assertThat(next.status()).isEqualTo(200);
        }
    }

    @Test
    void aConnectionBeyond64_isServed_andTheOneWaitingLongestForARequestIsClosed() throws IOException {
        List<RawHttp> held = new ArrayList<>();
        try {
            // The @AfterEach probe of the previous test may still be closing: wait for a clean slate.
            await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == 0);
            double closedBefore = bridge.count("edgebridge.admin.closed", "reason", "limit");
            for (int i = 0; i < AdminServer.MAX_CONNECTIONS; i++) {
                held.add(new RawHttp(port)); // accepted in this order (one accept queue, one event loop)
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == AdminServer.MAX_CONNECTIONS);
            // The first one sends a request, so the second has now waited longest.
            held.get(0).send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(held.get(0).read().status()).isEqualTo(200);

            try (RawHttp extra = new RawHttp(port)) {
                extra.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(extra.read().status()).isEqualTo(200);
                assertThat(held.get(1).closedByServer()).as("the connection waiting longest").isTrue();
                assertThat(held.get(0).staysOpen()).as("the connection served last").isTrue();
                assertThat(held.get(2).staysOpen()).isTrue();
                assertThat(openConnections()).isEqualTo(AdminServer.MAX_CONNECTIONS);
            }
            assertThat(bridge.count("edgebridge.admin.closed", "reason", "limit")).isEqualTo(closedBefore + 1);
        } finally {
            for (RawHttp http : held) {
                http.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == 0);
    }

    /**
     * Issue 14, finding 6: 64 connections that never finish their request (a byte every 200 ms, so
     * never idle) held the limit, and a liveness probe got 503 for as long as they stayed.
     */
    @Test
    void slowClientsHoldingEveryConnection_doNotKeepHealthProbesOut() throws Exception {
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == 0);
        List<RawHttp> slow = new ArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < AdminServer.MAX_CONNECTIONS; i++) {
                slow.add(new RawHttp(port).send("GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: "));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == AdminServer.MAX_CONNECTIONS);
            trickle.scheduleWithFixedDelay(() -> slow.forEach(http -> http.sendQuietly("a")), 200, 200,
                    TimeUnit.MILLISECONDS);

            try (HealthProbe probe = HealthProbe.start(port, "/health/live", Duration.ofMillis(100),
                    Duration.ofSeconds(2))) {
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                        .untilAsserted(() -> assertThat(probe.results()).as("probes while the limit is held")
                                .allSatisfy(r -> assertThat(r.status()).as(r.toString()).isEqualTo(200)));
                probe.close();
                probe.assertAllAnswered(200, 10);
            }
        } finally {
            trickle.shutdownNow();
            for (RawHttp http : slow) {
                http.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == 0);
    }

    /** A slow reader: answers it does not read must not pile up in the server without bound. */
    @Test
    void aClientSendingRequestsWithoutReadingTheAnswers_isClosed() throws Exception {
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == 0);
        double before = bridge.count("edgebridge.admin.closed", "reason", "not-reading");
        byte[] request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            OutputStream out = socket.getOutputStream();
            CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
                int sent = 0;
                try {
                    for (; sent < 5000; sent++) {
                        out.write(request);
                    }
                } catch (IOException e) {
                    // closed by the server
                }
                return sent;
            });

            await("the server closing a connection that does not read its answers").atMost(Duration.ofSeconds(30))
                    .until(() -> bridge.count("edgebridge.admin.closed", "reason", "not-reading") > before);
            writer.get(30, TimeUnit.SECONDS);
            socket.setSoTimeout(10_000);
            try {
                socket.getInputStream().readAllBytes(); // the answers sent before the close, then the end
            } catch (SocketException e) {
                // reset: the server closed with requests unread
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == 0);
    }

    @Test
    void manyGarbageConnectionsInARow_leaveNothingOpen() throws IOException {
        for (int i = 0; i < 200; i++) {
            Optional<RawHttp.Response> response = RawHttp.exchange(port, "\u0016\u0003\u0001garbage " + i);
            assertThat(response).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(400));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections() == 0);
    }

    @Test
    void idleConnections_areClosed() throws IOException {
        // The same server with a 1 s idle timeout instead of 60 s.
        try (AdminServer quick = AdminServer.start(new AdminConfig(true, "127.0.0.1", 0, Duration.ofSeconds(30)),
                bridge.bridge(), new AdminServer.Limits(AdminServer.MAX_CONNECTIONS, Duration.ofSeconds(30),
                        Duration.ofSeconds(1)));
                RawHttp http = new RawHttp(quick.port())) {
            http.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(http.read().status()).isEqualTo(200);
            assertThat(http.closedByServer()).as("closed after 1 s without traffic").isTrue();
        }
    }

    /** A deadline for the whole request, which trickling bytes (never idle) cannot stretch. */
    @Test
    void aRequestNotCompleteWithinTheDeadline_gets408AndIsClosed_evenWhileBytesKeepComing() throws Exception {
        double before = bridge.count("edgebridge.admin.closed", "reason", "request-timeout");
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try (AdminServer quick = AdminServer.start(new AdminConfig(true, "127.0.0.1", 0, Duration.ofSeconds(30)),
                bridge.bridge(), new AdminServer.Limits(AdminServer.MAX_CONNECTIONS, Duration.ofSeconds(1),
                        Duration.ofSeconds(30)));
                RawHttp slow = new RawHttp(quick.port());
                RawHttp silent = new RawHttp(quick.port());
                RawHttp keptAlive = new RawHttp(quick.port())) {
            keptAlive.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(keptAlive.read().status()).isEqualTo(200);
            long start = System.nanoTime();
            slow.send("GET /health/live HTTP/1.1\r\nX-Slow: ");
            trickle.scheduleWithFixedDelay(() -> slow.sendQuietly("a"), 100, 100, TimeUnit.MILLISECONDS);

            RawHttp.Response timedOut = slow.read();

            assertThat(timedOut.status()).isEqualTo(408);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            assertThat(slow.closedByServer()).isTrue();
            assertThat(silent.read().status()).as("a connection that never sent anything").isEqualTo(408);
            // Between requests a kept-alive connection is idle, not late: the idle timeout governs it.
            assertThat(keptAlive.staysOpen()).isTrue();
            keptAlive.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(keptAlive.read().status()).isEqualTo(200);
        } finally {
            trickle.shutdownNow();
        }
        assertThat(bridge.count("edgebridge.admin.closed", "reason", "request-timeout")).isEqualTo(before + 2);
    }

    private static int openConnections() {
        return bridge.bridge().adminServer().orElseThrow().openConnections();
    }

    private static String bytes(byte[] raw) {
        return new String(raw, StandardCharsets.ISO_8859_1);
    }

    /** The start of a TLS 1.2 ClientHello record. */
    private static byte[] clientHello() {
        return new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1, 0x03, 0x03, 0x5b, 0x2c,
                0x1d, 0x00, 0x00, 0x20, (byte) 0xc0, 0x2f};
    }
}
