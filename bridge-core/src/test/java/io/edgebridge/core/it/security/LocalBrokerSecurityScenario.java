package io.edgebridge.core.it.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.edgebridge.core.cli.Main;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestBridge;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker with a password file (entries from the real {@code mosquitto_passwd} and from
 * {@code edgebridge passwd}) and per-client permissions, against real MQTT clients. One bridge per
 * class; subclasses choose the intake.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class LocalBrokerSecurityScenario {

    static final String ALICE_PW = "alice-Pw-4417";       // $7$, written by mosquitto_passwd
    static final String CAROL_PW = "carol-Pw-9023";       // $6$, mosquitto_passwd -H sha512
    static final String BOB_PW = "bob-Pw-3356";           // $7$, written by edgebridge passwd
    static final String DAVE_PW = "dave-Pw-7781";         // added while running
    static final String WRONG_PW = "wrong-Pw-6612";
    static final List<String> PASSWORDS = List.of(ALICE_PW, CAROL_PW, BOB_PW, DAVE_PW, WRONG_PW);

    private Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private TestBridge bridge;
    private Path passwd;
    private Path out;
    private int port;

    /** {@code extension} or {@code mqtt}. */
    abstract String intake();

    @BeforeAll
    void start(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tempDir) throws Exception {
        dir = tempDir;
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        passwd = dir.resolve("passwd");
        mosquittoPasswd("-c", "-b", passwd.toString(), "alice", ALICE_PW);
        mosquittoPasswd("-H", "sha512", "-b", passwd.toString(), "carol", CAROL_PW);
        assertThat(edgebridgePasswd("bob", BOB_PW)).isZero();
        assertThat(Files.readString(passwd)).contains("alice:$7$101$", "carol:$6$", "bob:$7$101$");

        port = Ports.free();
        out = dir.resolve("out.jsonl");
        bridge = TestBridge.start(dir, """
                dataDir: %s
                local:
                  embedded:
                    listeners:
                      - { address: 127.0.0.1, port: %d }
                    persistence: in-memory
                    intake: %s
                    auth:
                      passwordFile: %s
                    permissions:
                      - publish: [ sensors/<clientId>/# ]
                        subscribe: [ commands/<clientId>/# ]
                      - users: [ carol ]
                        subscribe: [ sensors/# ]
                sinks:
                  out: { type: file, path: %s }
                routes:
                  - { name: telemetry, from: sensors/<deviceId>/#, sink: out, topic: edge/<deviceId> }
                """.formatted(dir.resolve("data"), port, intake(), passwd, out));
    }

    @AfterAll
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    }

    // --- authentication

    @Test
    void rightPasswords_fromMosquittoPasswdAndEdgebridgePasswd_areAccepted() {
        for (String[] user : List.of(new String[] {"alice", ALICE_PW}, new String[] {"carol", CAROL_PW},
                new String[] {"bob", BOB_PW})) {
            Mqtt5BlockingClient client = client("dev-" + user[0]);
            client.connectWith().simpleAuth().username(user[0]).password(bytes(user[1])).applySimpleAuth().send();
            client.disconnect();
        }
    }

    @Test
    void aWrongPassword_isRefusedWithBadUserNameOrPassword_andCounted() {
        double before = bridge.count("edgebridge.local.refused", "action", "connect", "reason", "bad-credentials");

        assertThat(connectFailure(client("dev-x"), "alice", WRONG_PW))
                .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
        assertThat(connectFailure(client("dev-y"), "nobody", WRONG_PW))
                .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
        assertThat(bridge.count("edgebridge.local.refused", "action", "connect", "reason", "bad-credentials"))
                .isEqualTo(before + 2);
    }

    @Test
    void noCredentials_isRefusedWhileAllowAnonymousIsFalse() {
        Throwable failure = catchThrowable(() -> client("dev-anon").connect());

        assertThat(failure).isInstanceOf(Mqtt5ConnAckException.class);
        assertThat(((Mqtt5ConnAckException) failure).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
    }

    @Test
    void aUserAddedWhileRunning_canConnectWithinSeconds_andABrokenFileKeepsTheOldUsers() throws Exception {
        assertThat(connectFailure(client("dev-dave"), "dave", DAVE_PW))
                .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);

        assertThat(edgebridgePasswd("dave", DAVE_PW)).isZero();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                .until(() -> connectFailure(client("dev-dave"), "dave", DAVE_PW) == null);

        String good = Files.readString(passwd);
        try {
            Files.writeString(passwd, good + "eve:not-a-hash\n");
            await().atMost(Duration.ofSeconds(15)).until(() -> logged("password file not reloaded"));
            assertThat(connectFailure(client("dev-dave"), "dave", DAVE_PW)).isNull();
            assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("password file not reloaded"))
                    .allSatisfy(e -> assertThat(e.getFormattedMessage()).contains(":" + (good.split("\n").length + 1)
                            + ": ").contains("'eve'").doesNotContain("not-a-hash"));
        } finally {
            Files.writeString(passwd, good);
        }
    }

    // --- the bridge's own client id

    @Test
    void aDeviceUsingTheBridgesClientId_isRefused_andBridgingKeepsWorking() throws Exception {
        double before = bridge.count("edgebridge.local.refused", "action", "connect", "reason", "bridge-client-id");

        assertThat(connectFailure(client("edgebridge"), "alice", ALICE_PW))
                .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);

        assertThat(bridge.count("edgebridge.local.refused", "action", "connect", "reason", "bridge-client-id"))
                .isEqualTo(before + 1);
        assertThat(bridge.bridge().isLocalConnected()).isTrue();
        Mqtt5BlockingClient device = connected("dev-after", "alice", ALICE_PW);
        String payload = "after-impersonation-" + UUID.randomUUID();
        device.publishWith().topic("sensors/dev-after/t").qos(MqttQos.AT_LEAST_ONCE).payload(bytes(payload)).send();
        device.disconnect();
        awaitForwarded(payload);
    }

    // --- permissions

    @Test
    void publishingOutsideItsTopics_isRefusedWithNotAuthorized_counted_andNotForwarded() throws Exception {
        double before = bridge.count("edgebridge.local.refused", "action", "publish", "reason", "not-authorized");
        Mqtt5BlockingClient device = connected("dev1", "alice", ALICE_PW);
        String refused = "refused-" + UUID.randomUUID();
        String allowed = "allowed-" + UUID.randomUUID();

        Throwable failure = catchThrowable(() -> device.publishWith().topic("sensors/dev2/temp")
                .qos(MqttQos.AT_LEAST_ONCE).payload(bytes(refused)).send());
        device.publishWith().topic("sensors/dev1/temp").qos(MqttQos.AT_LEAST_ONCE).payload(bytes(allowed)).send();
        device.disconnect();

        assertThat(failure).isInstanceOf(Mqtt5PubAckException.class);
        assertThat(((Mqtt5PubAckException) failure).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED);
        assertThat(bridge.count("edgebridge.local.refused", "action", "publish", "reason", "not-authorized"))
                .isEqualTo(before + 1);
        awaitForwarded(allowed);
        assertThat(Files.readString(out)).doesNotContain(refused);
    }

    @Test
    void aClientIdWithWildcards_cannotWidenItsPermission() throws Exception {
        Mqtt5BlockingClient device = connected("+", "alice", ALICE_PW);
        String refused = "wildcard-id-" + UUID.randomUUID();

        Throwable failure = catchThrowable(() -> device.publishWith().topic("sensors/dev1/x")
                .qos(MqttQos.AT_LEAST_ONCE).payload(bytes(refused)).send());
        device.disconnect();

        assertThat(failure).isInstanceOf(Mqtt5PubAckException.class);
        String allowed = "marker-" + UUID.randomUUID();
        Mqtt5BlockingClient other = connected("dev3", "alice", ALICE_PW);
        other.publishWith().topic("sensors/dev3/x").qos(MqttQos.AT_LEAST_ONCE).payload(bytes(allowed)).send();
        other.disconnect();
        awaitForwarded(allowed);
        assertThat(Files.readString(out)).doesNotContain(refused);
    }

    @Test
    void aForbiddenSubscribe_getsSubackNotAuthorized_andAnAllowedOneIsGranted() {
        Mqtt5BlockingClient device = connected("dev1", "alice", ALICE_PW);
        try {
            assertThat(device.subscribeWith().topicFilter("commands/dev1/#").qos(MqttQos.AT_LEAST_ONCE).send()
                    .getReasonCodes()).containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
            for (String forbidden : List.of("commands/dev2/#", "commands/#", "commands/+/x", "#")) {
                Throwable failure = catchThrowable(() -> device.subscribeWith().topicFilter(forbidden)
                        .qos(MqttQos.AT_LEAST_ONCE).send());
                assertThat(failure).as(forbidden).isInstanceOf(Mqtt5SubAckException.class);
                assertThat(((Mqtt5SubAckException) failure).getMqttMessage().getReasonCodes())
                        .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED);
            }
        } finally {
            device.disconnect();
        }
        assertThat(bridge.count("edgebridge.local.refused", "action", "subscribe", "reason", "not-authorized"))
                .isGreaterThanOrEqualTo(4);
    }

    @Test
    void aRuleForOneUser_appliesOnlyToThatUser() {
        Mqtt5BlockingClient carol = connected("monitor-1", "carol", CAROL_PW);
        Mqtt5BlockingClient alice = connected("monitor-2", "alice", ALICE_PW);
        try {
            assertThat(carol.subscribeWith().topicFilter("sensors/+/temp").qos(MqttQos.AT_LEAST_ONCE).send()
                    .getReasonCodes()).containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_1);
            assertThat(catchThrowable(() -> alice.subscribeWith().topicFilter("sensors/+/temp").send()))
                    .isInstanceOf(Mqtt5SubAckException.class);
        } finally {
            carol.disconnect();
            alice.disconnect();
        }
    }

    /** HiveMQ has no refusal code for an MQTT 3.1.1 PUBLISH: it closes the connection (see docs/CONFIG.md). */
    @Test
    void anMqtt3Device_getsReturnCodes_forCredentialsAndSubscriptions_andIsDisconnectedForAForbiddenPublish() {
        Mqtt3BlockingClient device = MqttClient.builder().useMqttVersion3().identifier("dev-v3")
                .serverHost("127.0.0.1").serverPort(port).buildBlocking();
        Throwable wrong = catchThrowable(() -> device.connectWith().simpleAuth().username("alice")
                .password(bytes(WRONG_PW)).applySimpleAuth().send());
        assertThat(wrong).isInstanceOf(Mqtt3ConnAckException.class);
        assertThat(((Mqtt3ConnAckException) wrong).getMqttMessage().getReturnCode())
                .isEqualTo(Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD);
        device.connectWith().simpleAuth().username("alice").password(bytes(ALICE_PW)).applySimpleAuth().send();
        Throwable subscribe = catchThrowable(() -> device.subscribeWith().topicFilter("commands/other/#").send());
        assertThat(subscribe).isInstanceOf(Mqtt3SubAckException.class);
        assertThat(((Mqtt3SubAckException) subscribe).getMqttMessage().getReturnCodes())
                .containsExactly(Mqtt3SubAckReturnCode.FAILURE);

        catchThrowable(() -> device.publishWith().topic("sensors/other/x").qos(MqttQos.AT_LEAST_ONCE)
                .payload(bytes("v3-refused")).send());

        await().atMost(Duration.ofSeconds(10)).until(() -> !device.getState().isConnected());
    }

    @Test
    void aWillMessageOutsideItsTopics_refusesTheConnection() {
        Mqtt5BlockingClient device = client("dev-will");

        Throwable failure = catchThrowable(() -> device.connectWith().simpleAuth().username("alice")
                .password(bytes(ALICE_PW)).applySimpleAuth().willPublish().topic("sensors/other/status")
                .payload(bytes("gone")).applyWillPublish().send());

        assertThat(failure).isInstanceOf(Mqtt5ConnAckException.class);
        assertThat(((Mqtt5ConnAckException) failure).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
        device.connectWith().simpleAuth().username("alice").password(bytes(ALICE_PW)).applySimpleAuth()
                .willPublish().topic("sensors/dev-will/status").payload(bytes("gone")).applyWillPublish().send();
        device.disconnect();
    }

    // --- logs

    @Test
    void refusalsAreLogged_withClientAndTopic_andNoPasswordEverAppearsInTheLogs() {
        connectFailure(client("dev-log"), "alice", WRONG_PW);
        Mqtt5BlockingClient device = connected("dev-log2", "alice", ALICE_PW);
        catchThrowable(() -> device.publishWith().topic("sensors/elsewhere/t").qos(MqttQos.AT_LEAST_ONCE)
                .payload(bytes("x")).send());
        device.disconnect();

        await().atMost(Duration.ofSeconds(5)).until(() -> logged("dev-log2") && logged("dev-log"));
        assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .contains("refused publish", "dev-log2", "alice", "sensors/elsewhere/t"));
        for (ILoggingEvent event : List.copyOf(logs.list)) {
            String text = event.getFormattedMessage() + " " + event.getKeyValuePairs() + " "
                    + (event.getThrowableProxy() == null ? "" : event.getThrowableProxy().getMessage());
            for (String password : PASSWORDS) {
                assertThat(text).doesNotContain(password);
            }
        }
    }

    // --- helpers

    private boolean logged(String text) {
        return List.copyOf(logs.list).stream().anyMatch(e -> (e.getFormattedMessage() + e.getKeyValuePairs()).contains(text));
    }

    private void awaitForwarded(String payload) {
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(out) && Files.readString(out).contains(payload));
    }

    Mqtt5BlockingClient client(String clientId) {
        return MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("127.0.0.1").serverPort(port)
                .buildBlocking();
    }

    private Mqtt5BlockingClient connected(String clientId, String user, String password) {
        Mqtt5BlockingClient client = client(clientId);
        client.connectWith().simpleAuth().username(user).password(bytes(password)).applySimpleAuth().send();
        return client;
    }

    /** The CONNACK reason of a refused connect, or null when it was accepted (then disconnected again). */
    private static Mqtt5ConnAckReasonCode connectFailure(Mqtt5BlockingClient client, String user, String password) {
        try {
            client.connectWith().simpleAuth().username(user).password(bytes(password)).applySimpleAuth().send();
            client.disconnect();
            return null;
        } catch (Mqtt5ConnAckException e) {
            return e.getMqttMessage().getReasonCode();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void mosquittoPasswd(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/mosquitto_passwd"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }

    private int edgebridgePasswd(String user, String password) {
        java.io.InputStream previous = cliStdin(new ByteArrayInputStream(bytes(password + "\n")));
        try {
            return Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true),
                    "passwd", "--file", passwd.toString(), "--stdin", user);
        } finally {
            cliStdin(previous);
        }
    }

    private static java.io.InputStream cliStdin(java.io.InputStream in) {
        return io.edgebridge.core.cli.PasswdCommandAccess.swapStdin(in);
    }
}
