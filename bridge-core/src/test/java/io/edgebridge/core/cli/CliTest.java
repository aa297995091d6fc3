package io.edgebridge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.core.testing.TestCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(120)
class CliTest {

    /** The config module's corpus of broken configurations: one mistake per file. */
    private static final Path CORPUS = Path.of("..", "config", "src", "test", "resources", "invalid");
    private static final Path EXAMPLES = Path.of("..", "config", "examples");
    private static final Pattern EXPECT = Pattern.compile("^# expect: (\\d+) (.+)$", Pattern.MULTILINE);
    private static final Pattern KEY = Pattern.compile("^# key: (\\S+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    static Stream<Path> corpus() throws IOException {
        try (Stream<Path> files = Files.list(CORPUS)) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @Test
    void theCorpusHasAtLeastThirtyDifferentMistakes() throws IOException {
        assertThat(corpus().count()).isGreaterThanOrEqualTo(30);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void validate_rejectsEachBrokenConfig_withExitTwo_naming_fileLineAndKey(Path file) throws IOException {
        String text = Files.readString(file);
        Matcher expect = EXPECT.matcher(text);
        assertThat(expect.find()).as("corpus file %s has an '# expect:' header", file).isTrue();
        String line = expect.group(1);
        String substring = expect.group(2).trim();

        Result result = run("validate", "--config", file.toString());

        assertThat(result.code()).isEqualTo(Main.EXIT_INVALID_CONFIG);
        assertThat(result.err())
                .contains(file.getFileName().toString() + ":" + line + ":")
                .contains(substring)
                .doesNotContain("Exception")
                .doesNotContainPattern("\\tat [a-z]");
        Matcher key = KEY.matcher(text);
        if (key.find()) {
            assertThat(result.err()).contains(key.group(1));
        }
        assertThat(result.out()).isEmpty();
    }

    /** The shipped examples, validated by the real launcher path in a child JVM with their variables set. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void validate_acceptsEveryExample(Path example) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(javaCommand("validate", "--config", example.toString()))
                .redirectErrorStream(true);
        builder.environment().put("CLOUD_MQTT_PASSWORD", "example-secret-value");
        // production.yaml names TLS and password files under ${EDGEBRIDGE_ETC}
        Path etc = Files.createDirectories(dir.resolve("etc"));
        TestCertificates pki = TestCertificates.newCa(etc.resolve("pki"), "devices-ca");
        TestCertificates.Issued broker = pki.server("broker");
        Files.copy(broker.certificate(), etc.resolve("broker.crt"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(broker.privateKey(), etc.resolve("broker.key"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pki.caCertificate(), etc.resolve("devices-ca.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(etc.resolve("passwd"), "# no devices yet\n");
        builder.environment().put("EDGEBRIDGE_ETC", etc.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("OK").doesNotContain("example-secret-value");
    }

    static Stream<Path> examples() throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            // Cloud module examples need their module: validated by AwsExampleTest, AzureExampleTest, GcpExampleTest.
            Set<String> moduleExamples = Set.of("aws-iot-core.yaml", "azure-iot-hub.yaml", "iot-edge-module.yaml",
                    "gcp-pubsub.yaml");
            files.filter(p -> p.toString().endsWith(".yaml") || Files.isDirectory(p))
                    .filter(p -> !moduleExamples.contains(p.getFileName().toString())).sorted().forEach(all::add);
        }
        return all.stream();
    }

    private static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    @Test
    void explain_showsEachMatchingRouteAndWhatTheSinkReceives() {
        Result result = run("explain", "--config", EXAMPLES.resolve("edgebridge.yaml").toString(),
                "--topic", "sensors/dev1/temp", "--payload", "21.5");
        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out())
                .contains("route telemetry (from sensors/<deviceId>/<metric>: deviceId=dev1, metric=temp)")
                .contains("-> sink out (file): topic edge/dev1/telemetry/temp, qos 1")
                .contains("payload (4 bytes): 21.5");
    }

    @Test
    void explain_aTopicNoRouteMatches_saysSo_andExitsOne() {
        Result result = run("explain", "--config", EXAMPLES.resolve("edgebridge.yaml").toString(),
                "--topic", "other/topic");
        assertThat(result.code()).isEqualTo(1);
        assertThat(result.out()).contains("matches no upstream route");
    }

    @Test
    void explain_downstream_showsTheLocalTopic_orWhyTheCloudValueIsRejected() throws IOException {
        Path config = dir.resolve("down.yaml");
        Files.writeString(config, """
                sinks:
                  cloud: { type: mqtt, uri: mqtt://127.0.0.1:1883 }
                routes:
                  - name: commands
                    direction: downstream
                    from: { sink: cloud, topic: commands/<deviceId>/<command> }
                    to: devices/<deviceId>/<command>
                """);
        Result ok = run("explain", "--config", config.toString(), "--sink", "cloud", "--topic", "commands/d1/reboot");
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).contains("-> local topic devices/d1/reboot");
        Result rejected = run("explain", "--config", config.toString(), "--sink", "cloud", "--topic", "commands//reboot");
        assertThat(rejected.out()).contains("REJECTED").contains("<deviceId> is empty");
    }

    @Test
    void explain_aFailoverGroupTarget_namesItsMembersInOrder() throws IOException {
        Path config = dir.resolve("failover.yaml");
        Files.writeString(config, """
                sinks:
                  cloud: { type: failover, members: [primary, standby] }
                  primary: { type: mqtt, uri: mqtt://127.0.0.1:1883 }
                  standby: { type: mqtt, uri: mqtt://127.0.0.1:1884 }
                routes:
                  - { name: telemetry, from: sensors/<deviceId>, sink: cloud, topic: edge/<deviceId> }
                """);

        Result result = run("explain", "--config", config.toString(), "--topic", "sensors/d1");
        Result validated = run("validate", "--config", config.toString());

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out()).contains("-> sink cloud (failover: primary, then standby): topic edge/d1, qos 1");
        assertThat(validated.code()).as(validated.err()).isZero();
        assertThat(validated.out()).contains("OK (3 sinks, 1 upstream and 0 downstream routes");
    }

    @Test
    void version_printsTheVersion() {
        Result result = run("version");
        assertThat(result.code()).isZero();
        assertThat(result.out()).startsWith("EdgeBridge 0.");
    }

    @Test
    void positionalPath_worksLikeConfigOption() {
        Result result = run("validate", EXAMPLES.resolve("edgebridge.yaml").toString());
        assertThat(result.code()).as(result.err()).isZero();
    }

    @Test
    void run_withAnInvalidConfig_exitsTwo_withoutStartingAnything() throws IOException {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "sinks: {}\nroutes: []\n");
        Result result = run("run", "--config", config.toString());
        assertThat(result.code()).isEqualTo(Main.EXIT_INVALID_CONFIG);
        assertThat(result.err()).contains("at least one sink");
    }

    @Test
    void run_whenTheBrokerPortIsTaken_exitsOne_withAClearMessage() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path config = dir.resolve("busy.yaml");
            Files.writeString(config, """
                    dataDir: %s
                    local:
                      embedded: { address: 127.0.0.1, port: %d }
                    sinks:
                      out: { type: file, path: %s }
                    routes:
                      - { name: r, from: a/#, sink: out, topic: b/<#> }
                    """.formatted(dir.resolve("data"), taken.getLocalPort(), dir.resolve("out.jsonl")));
            Result result = run("run", "--config", config.toString());
            assertThat(result.code()).isEqualTo(Main.EXIT_RUNTIME_FAILURE);
            assertThat(result.err()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .doesNotContain("\tat ");
        }
    }
}
