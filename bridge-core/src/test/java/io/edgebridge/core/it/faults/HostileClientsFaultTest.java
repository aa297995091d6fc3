package io.edgebridge.core.it.faults;

import static io.edgebridge.core.it.faults.ProductionExample.bytes;
import static io.edgebridge.core.it.faults.ProductionExample.password;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.edgebridge.core.support.LogLimit;
import io.edgebridge.core.testing.Closer;
import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.HealthProbe;
import io.edgebridge.core.testing.ListenerSockets;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault matrix rows "slow and hostile clients on every listener": the shipped production example
 * (embedded broker with a plain and a TLS listener, password file, permissions; an MQTT cloud sink,
 * here a local Mosquitto) while two devices publish QoS 1 through it, one on each listener. Each
 * row attacks one listener and asserts that the devices' acknowledged messages all reached the cloud,
 * that readiness probes (a new connection each, 2 s to answer) were answered 200 throughout, that
 * the log stayed short, and that afterwards every connection the attack opened was released.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostileClientsFaultTest {

    private static final String LOCAL = "embedded/extension";
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration ATTACK = Duration.ofSeconds(2);
    private static final int CHURNERS = 4;
    private static final int CHURNS = 200;

    private ProductionExample example;
    private Mosquitto cloud;
    private Recorder recorder;
    private LogCapture logs;
    private TestBridge bridge;
    private Publisher plainDevice;
    private Publisher tlsDevice;

    @BeforeAll
    void start(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
        example = new ProductionExample(dir, List.of("dev1", "dev2", "dev3", "dev4", "churn0", "churn1", "churn2", "churn3",
                "monitor"));
        cloud = new Mosquitto(dir.resolve("cloud")).start();
        recorder = new Recorder(cloud.port(), "cloud-recorder", "gateways/gw-01/#");
        logs = LogCapture.start();
        bridge = TestBridge.start(dir, example.yaml(dir.resolve("data"), cloud.uri()));
        plainDevice = new Publisher(example.plainPort, 20, "dev3", password("dev3"), Optional.empty());
        tlsDevice = new Publisher(example.tlsPort, 20, "dev4", password("dev4"), Optional.of(example.clientTls()));
        AdminClient admin = new AdminClient(bridge.adminPort());
        await().atMost(Duration.ofSeconds(20)).until(() -> admin.ready() == 200);
    }

    @AfterAll
    void stop() {
        Closer.closeAll(plainDevice, tlsDevice, bridge, logs, recorder, cloud);
    }

    // --- MQTT listeners

    /**
     * Issue 14, finding 5: with the production example, user dev1 connecting as client dev2 published
     * dev2's readings, read dev2's commands and took over dev2's session.
     */
    @Test
    void impersonation_isRefused_publishSubscribeAndSessionTakeover() throws Exception {
        try (Row row = new Row("impersonation")) {
            Mqtt5BlockingClient dev2 = mqtt5("dev2", example.tlsPort);
            dev2.connectWith().simpleAuth().username("dev2").password(bytes(password("dev2"))).applySimpleAuth().send();
            double refusedConnects = refused("connect", "client-id-not-username");

            // Session takeover: dev1's valid credentials with dev2's client id, MQTT 5, MQTT 3.1.1, and an id left to the broker.
            Throwable takeover = catchThrowable(() -> mqtt5("dev2", example.tlsPort).connectWith().simpleAuth()
                    .username("dev1").password(bytes(password("dev1"))).applySimpleAuth().send());
            Throwable takeover3 = catchThrowable(() -> MqttClient.builder().useMqttVersion3().identifier("dev2")
                    .serverHost("127.0.0.1").serverPort(example.plainPort).buildBlocking().connectWith().simpleAuth()
                    .username("dev1").password(bytes(password("dev1"))).applySimpleAuth().send());
            Throwable assigned = catchThrowable(() -> MqttClient.builder().useMqttVersion5().serverHost("127.0.0.1")
                    .serverPort(example.plainPort).buildBlocking().connectWith().simpleAuth().username("dev1")
                    .password(bytes(password("dev1"))).applySimpleAuth().send());

            assertThat(takeover).as("dev1 connecting as client dev2").isInstanceOf(Mqtt5ConnAckException.class);
            assertThat(((Mqtt5ConnAckException) takeover).getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5ConnAckReasonCode.CLIENT_IDENTIFIER_NOT_VALID);
            assertThat(takeover3).isInstanceOf(Mqtt3ConnAckException.class);
            assertThat(((Mqtt3ConnAckException) takeover3).getMqttMessage().getReturnCode())
                    .isEqualTo(Mqtt3ConnAckReturnCode.IDENTIFIER_REJECTED);
            assertThat(assigned).isInstanceOf(Mqtt5ConnAckException.class);
            assertThat(refused("connect", "client-id-not-username")).isEqualTo(refusedConnects + 3);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                    .until(() -> dev2.getState().isConnected());

            // As itself, dev1 may neither publish dev2's readings nor read dev2's commands.
            Mqtt5BlockingClient dev1 = mqtt5("dev1", example.tlsPort);
            dev1.connectWith().simpleAuth().username("dev1").password(bytes(password("dev1"))).applySimpleAuth().send();
            Throwable forged = catchThrowable(() -> dev1.publishWith().topic("sensors/dev2/temp")
                    .qos(MqttQos.AT_LEAST_ONCE).payload(bytes("impersonation-forged")).send());
            Throwable snoop = catchThrowable(() -> dev1.subscribeWith().topicFilter("commands/dev2/#")
                    .qos(MqttQos.AT_LEAST_ONCE).send());
            dev1.publishWith().topic("sensors/dev1/temp").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("impersonation-own"))
                    .send();
            dev2.publishWith().topic("sensors/dev2/temp").qos(MqttQos.AT_LEAST_ONCE).payload(bytes("impersonation-dev2"))
                    .send();
            dev1.disconnect();
            dev2.disconnect();

            assertThat(forged).isInstanceOf(Mqtt5PubAckException.class);
            assertThat(((Mqtt5PubAckException) forged).getMqttMessage().getReasonCode())
                    .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
            assertThat(snoop).isInstanceOf(Mqtt5SubAckException.class);
            assertThat(((Mqtt5SubAckException) snoop).getMqttMessage().getReasonCodes())
                    .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> recorder.received("impersonation-own") && recorder.received("impersonation-dev2"));
            assertThat(recorder.received("impersonation-forged")).isFalse();

            row.finish("mqtt: impersonation (another user's client id, topics and commands)")
                    .assertAccounted(0).assertLogLinesAtMost(10).record();
        }
    }

    @Test
    void slowloris_connectsTrickledByteByByte_onBothListeners() throws Exception {
        try (Row row = new Row("slowloris")) {
            List<RawMqtt> slow = new ArrayList<>();
            ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
            try {
                for (int i = 0; i < 100; i++) {
                    slow.add(i % 4 == 0 ? RawMqtt.tls(example.tlsPort, example.sslContext())
                            : RawMqtt.plain(example.plainPort));
                }
                byte[] connect = RawMqtt.connect("dev1", "dev1", password("dev1"));
                AtomicInteger sent = new AtomicInteger();
                trickle.scheduleWithFixedDelay(() -> {
                    int i = sent.getAndIncrement();
                    if (i < connect.length - 1) { // never the last byte: the CONNECT stays incomplete
                        slow.forEach(c -> c.sendQuietly(new byte[] {connect[i]}));
                    }
                }, 0, 50, TimeUnit.MILLISECONDS);
                row.during(ATTACK);
            } finally {
                trickle.shutdownNow();
                closeAll(slow);
            }
            row.finish("mqtt: slowloris, 100 CONNECTs trickled byte by byte (plain and TLS)")
                    .assertAccounted(0).assertLogLinesAtMost(5).record();
        }
    }

    @Test
    void halfOpenConnections_onBothListeners() throws Exception {
        try (Row row = new Row("half-open")) {
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 300; i++) {
                    open.add(new Socket(InetAddress.getLoopbackAddress(), i % 3 == 0 ? example.tlsPort : example.plainPort));
                }
                row.during(ATTACK);
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
            row.finish("mqtt: 300 half-open connections, nothing sent (plain and TLS)")
                    .assertAccounted(0).assertLogLinesAtMost(5).record();
        }
    }

    @Test
    void garbageBytes_areRefusedByClosing_onBothListeners() throws Exception {
        try (Row row = new Row("garbage")) {
            Random random = new Random(14);
            List<RawMqtt> connections = new ArrayList<>();
            try {
                for (int i = 0; i < 90; i++) {
                    // A whole packet, random inside, of a type a client never sends first (0: reserved, 0xf0:
                    // AUTH, unknown to 3.1.1). Garbage announcing more bytes than it sends is waited for like a
                    // silent client instead (the half-open row); TLS waits for a whole 5-byte record header.
                    byte[] garbage = new byte[8 + random.nextInt(120)];
                    random.nextBytes(garbage);
                    garbage[0] = (byte) (i % 2 == 0 ? 0x00 : 0xf0);
                    garbage[1] = (byte) (garbage.length - 2);
                    RawMqtt c = switch (i % 3) {
                        case 0 -> RawMqtt.plain(example.plainPort);
                        case 1 -> RawMqtt.plain(example.tlsPort); // not TLS at all
                        default -> RawMqtt.tls(example.tlsPort, example.sslContext()); // garbage inside TLS
                    };
                    connections.add(c.send(garbage));
                }
                // Up to HiveMQ's 10 s for a client that sent no CONNECT: now and then a garbage packet
                // is not refused at once but waited out like a silent client.
                await("every garbage connection closed by the broker").atMost(Duration.ofSeconds(15))
                        .until(() -> allClosedByServer(connections));
                row.during(Duration.ofMillis(500));
            } finally {
                closeAll(connections);
            }
            row.finish("mqtt: garbage bytes on 90 connections (plain, TLS, inside TLS)")
                    .assertAccounted(0).assertLogLinesAtMost(5).record();
        }
    }

    @Test
    void connectionChurn_goodAndBadLogins_withRotatingClientIds() throws Exception {
        try (Row row = new Row("churn")) {
            double badBefore = refused("connect", "bad-credentials");
            List<CompletableFuture<Void>> churners = new ArrayList<>();
            for (int n = 0; n < CHURNERS; n++) {
                String user = "churn" + n;
                churners.add(CompletableFuture.runAsync(() -> churn(user, CHURNS / CHURNERS)));
            }
            CompletableFuture.allOf(churners.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(refused("connect", "bad-credentials")).isEqualTo(badBefore + CHURNS / 2);
            // At most 20 lines per 10 s whatever the client ids: rotating ids must not get a line each.
            row.finish("mqtt: %d connection churns (%d bad logins, rotating client ids)".formatted(CHURNS, CHURNS / 2))
                    .assertAccounted(0).assertLogLinesAtMost(row.refusalLogBound()).record();
        }
    }

    /** Connects and disconnects {@code user}, then fails a login with a new client id, {@code cycles / 2} times. */
    private void churn(String user, int cycles) {
        try {
            for (int i = 0; i < cycles; i++) {
                boolean good = i % 2 == 0;
                try (RawMqtt c = RawMqtt.plain(example.plainPort)) {
                    c.send(good ? RawMqtt.connect(user, user, password(user))
                            : RawMqtt.connect(user + "-intruder-" + i, user, "wrong-" + i));
                    assertThat(c.connack()).isEqualTo(good ? 0 : 4);
                    if (good) {
                        c.send(RawMqtt.disconnect());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The largest packet MQTT can announce (268,435,455 bytes) is within HiveMQ's default limit, so
     * nothing is refused for its size and the broker buffers what arrives, even before CONNECT. Other
     * clients carry on, and the connections are released when their clients leave.
     */
    @Test
    void packetsAnnouncing256MB_affectOnlyTheirConnections() throws Exception {
        try (Row row = new Row("oversized")) {
            try (RawMqtt announced = RawMqtt.plain(example.plainPort);
                    RawMqtt preConnect = RawMqtt.plain(example.plainPort)) {
                announced.send(RawMqtt.connect("dev1", "dev1", password("dev1")));
                assertThat(announced.connack()).isZero();
                // The largest remaining length MQTT can express, then 1 MB of it, then nothing more.
                announced.send(RawMqtt.fixedHeader(0x30, 268_435_455)).send(new byte[1 << 20]);
                preConnect.send(RawMqtt.fixedHeader(0x10, 268_435_455)).send(new byte[1 << 20]);
                row.during(ATTACK);
            }
            row.finish("mqtt: packets announcing 256 MB, 1 MB sent (before and after CONNECT)")
                    .assertAccounted(0).assertLogLinesAtMost(5).record();
        }
    }

    // --- admin listener

    /** Issue 14, finding 6 as a fault row: probes answered while slow clients hold every admin connection. */
    @Test
    void slowAdminClients_holdingTheConnectionLimit() throws Exception {
        try (Row row = new Row("admin-slow")) {
            List<Socket> slow = new ArrayList<>();
            ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
            try {
                for (int i = 0; i < 100; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), bridge.adminPort());
                    s.getOutputStream().write(bytes("GET /status HTTP/1.1\r\nX-Slow: "));
                    slow.add(s);
                }
                trickle.scheduleWithFixedDelay(() -> slow.forEach(s -> {
                    try {
                        s.getOutputStream().write('a');
                    } catch (IOException e) {
                        // closed by the server
                    }
                }), 200, 200, TimeUnit.MILLISECONDS);
                row.during(Duration.ofSeconds(3));
            } finally {
                trickle.shutdownNow();
                for (Socket s : slow) {
                    s.close();
                }
            }
            assertThat(bridge.count("edgebridge.admin.closed", "reason", "limit")).isPositive();
            row.finish("admin: 100 slow clients (request trickled) holding the 64-connection limit")
                    .assertAccounted(0).assertLogLinesAtMost(2).record();
        }
    }

    @Test
    void garbageOnTheAdminListener() throws Exception {
        try (Row row = new Row("admin-garbage")) {
            Random random = new Random(6);
            for (int i = 0; i < 200; i++) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), bridge.adminPort())) {
                    byte[] garbage = new byte[1 + random.nextInt(512)];
                    random.nextBytes(garbage);
                    garbage[0] = (byte) 0x16; // a TLS record, never a method
                    s.getOutputStream().write(garbage);
                    s.setSoTimeout(5000);
                    assertThat(new String(s.getInputStream().readNBytes(12))).isEqualTo("HTTP/1.1 400");
                }
            }
            row.during(Duration.ofSeconds(1));
            row.finish("admin: garbage on 200 connections").assertAccounted(0).assertLogLinesAtMost(0).record();
        }
    }

    // --- helpers

    private Mqtt5BlockingClient mqtt5(String clientId, int port) {
        var builder = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("127.0.0.1").serverPort(port);
        return (port == example.tlsPort ? builder.sslConfig(example.clientTls()) : builder).buildBlocking();
    }

    private double refused(String action, String reason) {
        return bridge.count("edgebridge.local.refused", "action", action, "reason", reason);
    }

    private static boolean allClosedByServer(List<RawMqtt> connections) throws IOException {
        for (RawMqtt c : connections) {
            if (!c.closedByServer()) {
                return false;
            }
        }
        return true;
    }

    private static void closeAll(List<RawMqtt> connections) throws IOException {
        for (RawMqtt c : connections) {
            c.close();
        }
    }

    /**
     * One row: while it is open, the two devices publish (one message each every 10 ms) and probes
     * run; {@link #finish} stops both and measures.
     */
    private final class Row implements AutoCloseable {

        private final String tag;
        private final Map<Integer, Integer> baseline = new HashMap<>();
        private final ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();
        private final AtomicInteger sequence = new AtomicInteger();
        private final HealthProbe probe;
        private final long started = System.nanoTime();

        Row(String tag) {
            this.tag = tag + "-";
            for (int port : ports()) {
                baseline.put(port, ListenerSockets.held(port));
            }
            logs.clear();
            probe = HealthProbe.start(bridge.adminPort(), "/health/ready", Duration.ofMillis(100), PROBE_TIMEOUT);
            traffic.scheduleWithFixedDelay(() -> {
                int i = sequence.getAndIncrement();
                plainDevice.publish("sensors/dev3/temp", this.tag + "dev3-" + i);
                tlsDevice.publish("sensors/dev4/temp", this.tag + "dev4-" + i);
            }, 0, 10, TimeUnit.MILLISECONDS);
        }

        /** Holds the fault for {@code duration} while traffic and probes run, every probe answered 200. */
        void during(Duration duration) {
            await().during(duration).atMost(duration.plusSeconds(2))
                    .untilAsserted(() -> assertThat(probe.results()).as("readiness probes during the fault")
                            .allSatisfy(r -> assertThat(r.status()).as(r.toString()).isEqualTo(200)));
        }

        FaultRow finish(String fault) throws InterruptedException {
            long faultEnd = System.nanoTime();
            traffic.shutdown();
            assertThat(traffic.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            plainDevice.drain(10, TimeUnit.SECONDS);
            tlsDevice.drain(10, TimeUnit.SECONDS);
            Set<String> acknowledged = new HashSet<>();
            for (Publisher device : List.of(plainDevice, tlsDevice)) {
                device.ackedPayloads().stream().filter(p -> p.startsWith(tag)).forEach(acknowledged::add);
            }
            assertThat(acknowledged).as("device messages acknowledged during the fault").hasSizeGreaterThan(50);
            await("every acknowledged message at the cloud").atMost(Duration.ofSeconds(30))
                    .until(() -> acknowledged.stream().allMatch(recorder::received));
            Duration recovery = Duration.ofNanos(System.nanoTime() - faultEnd);
            // A short fault (a burst of churns can take half a second) still gets its ten probes.
            await("ten readiness probes").atMost(Duration.ofSeconds(10)).until(() -> probe.results().size() >= 10);
            probe.close();
            probe.assertAllAnswered(200, 10);
            for (int port : ports()) {
                await("connections on port " + port + " released").atMost(Duration.ofSeconds(10))
                        .until(() -> ListenerSockets.held(port) <= baseline.get(port));
            }
            Map<String, Long> copies = recorder.arrivals().stream().map(Recorder.Arrival::payload)
                    .filter(acknowledged::contains).collect(Collectors.groupingBy(p -> p, Collectors.counting()));
            long delivered = copies.size();
            long duplicates = copies.values().stream().mapToLong(n -> n - 1).sum();
            return new FaultRow(fault, LOCAL, "mqtt", acknowledged.size(), delivered, 0, duplicates, recovery,
                    logs.count());
        }

        /** What {@code RefusalLog} may log while the row ran: 20 lines per 10 s begun. */
        long refusalLogBound() {
            long windows = 1 + Duration.ofNanos(System.nanoTime() - started).toSeconds() / 10;
            return windows * LogLimit.DEFAULT_MAX_LINES;
        }

        private List<Integer> ports() {
            return List.of(example.plainPort, example.tlsPort, bridge.adminPort());
        }

        @Override
        public void close() {
            traffic.shutdownNow();
            probe.close();
        }
    }
}
