package io.edgebridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryLoadingTest {

    private static final String LOCAL = "local:\n  embedded: {port: 11883}\n";
    private static final String SINKS = "sinks:\n  cloud: {type: mqtt, uri: \"mqtt://h\"}\n";
    private static final String MORE_SINKS = "sinks:\n  out: {type: file, path: out.jsonl}\n";
    private static final String ROUTES = "routes:\n  - {name: a, from: a/<x>, sink: cloud, topic: a/<x>}\n";
    private static final String MORE_ROUTES = "routes:\n  - {name: b, from: b/<x>, sink: out, topic: b/<x>}\n";

    @TempDir
    Path dir;

    private Path write(String name, String yaml) throws IOException {
        return Files.writeString(dir.resolve(name), yaml);
    }

    private ConfigException rejected(Path path) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> TestSinkTypes.loader().load(path));
        assertThat(e).as("expected problems").isNotNull();
        return e;
    }

    @Test
    void mergesTheYamlFilesOfADirectoryInNameOrder() throws Exception {
        write("30-routes.yaml", ROUTES + MORE_ROUTES.replace("routes:\n", ""));
        write("20-sinks.yml", SINKS);
        write("25-more-sinks.yaml", MORE_SINKS);
        write("10-local.yaml", LOCAL);
        write("README.md", "not: [yaml");
        write("notes.yaml.bak", "not: [yaml");
        Files.createDirectories(dir.resolve("nested.yaml"));
        write("nested.yaml/99.yaml", "not: [yaml");

        BridgeConfig config = TestSinkTypes.loader().load(dir);

        assertThat(config.files()).extracting(p -> p.getFileName().toString())
                .containsExactly("10-local.yaml", "20-sinks.yml", "25-more-sinks.yaml", "30-routes.yaml");
        assertThat(config.sinks().keySet()).containsExactly("cloud", "out");
        assertThat(config.routes()).extracting(RouteConfig::name).containsExactly("a", "b");
        assertThat(((EmbeddedBrokerConfig) config.local().broker()).port()).isEqualTo(11883);
        assertThat(config.sink("out").orElseThrow().location().file()).contains(dir.resolve("25-more-sinks.yaml"));
    }

    @Test
    void routesAreConcatenatedInFileOrderWithPathsPerFile() throws Exception {
        write("a.yaml", SINKS + MORE_SINKS.replace("sinks:\n", "") + ROUTES);
        write("b.yaml", MORE_ROUTES);

        BridgeConfig config = TestSinkTypes.loader().load(dir);

        assertThat(config.routes()).extracting(RouteConfig::name).containsExactly("a", "b");
        assertThat(config.routes().get(1).location().keyPath()).isEqualTo("routes[0]");
        assertThat(config.routes().get(1).location().file()).contains(dir.resolve("b.yaml"));
    }

    @Test
    void filesFingerprint_matchesTheLoadedFingerprint_andChangesWithAnyFile() throws Exception {
        write("a.yaml", LOCAL + SINKS);
        write("b.yaml", ROUTES);

        String before = ConfigLoader.filesFingerprint(dir);
        assertThat(before).isEqualTo(TestSinkTypes.loader().load(dir).fingerprint());
        write("c.yml", "# a comment is a change too\n");
        String added = ConfigLoader.filesFingerprint(dir);
        assertThat(added).isNotEqualTo(before);
        write("b.yaml", ROUTES + "\n");
        assertThat(ConfigLoader.filesFingerprint(dir)).isNotEqualTo(added);
        write("notes.txt", "not configuration");
        assertThat(ConfigLoader.filesFingerprint(dir)).isEqualTo(TestSinkTypes.loader().load(dir).fingerprint());
    }

    @Test
    void aSectionMayAppearInOneFileOnly() throws IOException {
        write("a.yaml", LOCAL + SINKS + ROUTES);
        Path second = write("b.yaml", "stats: {logInterval: 5s}\n" + LOCAL);

        ConfigException e = rejected(dir);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.location().file()).contains(second);
            assertThat(p.location().line()).isEqualTo(2);
            assertThat(p.message()).isEqualTo("'local' is already set at " + dir.resolve("a.yaml")
                    + ":1:1; each section may appear in one file only");
        });
    }

    @Test
    void aSinkNameMayBeDefinedOnce() throws IOException {
        write("a.yaml", SINKS + ROUTES);
        write("b.yaml", "sinks:\n  cloud: {type: file, path: x}\n");

        ConfigException e = rejected(dir);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.location().line()).isEqualTo(2);
            assertThat(p.format()).contains("b.yaml:2:3: sinks.cloud: sink 'cloud' is already defined at "
                    + dir.resolve("a.yaml") + ":2:3");
        });
    }

    @Test
    void aRouteNameMayBeUsedOnceAcrossFiles() throws IOException {
        write("a.yaml", SINKS + ROUTES);
        write("b.yaml", ROUTES);

        ConfigException e = rejected(dir);

        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.format())
                .contains("b.yaml:2:12: routes[0].name: duplicate route name 'a' (first at " + dir.resolve("a.yaml") + ":4:12)"));
    }

    @Test
    void anEmptyFileContributesNothing() throws Exception {
        write("a.yaml", SINKS + ROUTES);
        write("b.yaml", "");
        write("c.yaml", "# only a comment\n");

        assertThat(TestSinkTypes.loader().load(dir).files()).hasSize(3);
    }

    @Test
    void problemsOfEveryFileAreReportedInFileOrder() throws IOException {
        write("a.yaml", "sinks:\n  cloud: {type: mqtt, uri: \"mqtt://h\", keepAlive: x}\n");
        write("b.yaml", "stats: {logInterval: [bad\n");
        write("c.yaml", ROUTES + "spool: {maxAge: y}\n");

        ConfigException e = rejected(dir);

        assertThat(e.problems()).extracting(p -> p.location().file().orElseThrow().getFileName().toString())
                .containsExactly("a.yaml", "b.yaml", "c.yaml");
    }

    @Test
    void aFileThatCouldNotBeParsedSilencesReferencesToSinksItMayDefine() throws IOException {
        write("a.yaml", "sinks:\n  cloud: {type: mqtt\n");
        write("b.yaml", ROUTES);

        ConfigException e = rejected(dir);

        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.message()).startsWith("YAML syntax"));
    }

    @Test
    void aFileWhoseTopLevelIsNotAMappingIsAProblem() throws IOException {
        write("a.yaml", SINKS + ROUTES);
        write("b.yaml", "- just\n- a list\n");

        ConfigException e = rejected(dir);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.format()).contains("b.yaml:1:1");
            assertThat(p.message()).contains("must be a mapping");
        });
    }

    @Test
    void anEmptyDirectoryIsAProblem() {
        ConfigException e = rejected(dir);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).isEqualTo("no .yaml or .yml files in " + dir);
            assertThat(p.location().file()).contains(dir);
        });
    }

    @Test
    void aMissingPathIsAProblem() {
        Path missing = dir.resolve("nope.yaml");

        ConfigException e = rejected(missing);

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.format()).isEqualTo(missing + ": config path does not exist");
        });
    }

    @Test
    void aFileThatIsNotUtf8IsAProblem() throws IOException {
        Path file = Files.write(dir.resolve("a.yaml"), new byte[] {'a', ':', ' ', (byte) 0xC3, (byte) 0x28});

        assertThat(rejected(file).problems()).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("the file is not UTF-8 text"));
    }

    @Test
    void theFingerprintFollowsNamesAndBytes() throws Exception {
        Path file = write("bridge.yaml", SINKS + ROUTES);
        String first = TestSinkTypes.loader().load(file).fingerprint();

        assertThat(first).matches("[0-9a-f]{12}");
        assertThat(TestSinkTypes.loader().load(file).fingerprint()).isEqualTo(first);
        assertThat(first).isEqualTo(sha("bridge.yaml", SINKS + ROUTES));

        write("bridge.yaml", SINKS + ROUTES + "# a comment changes the text\n");
        assertThat(TestSinkTypes.loader().load(file).fingerprint()).isNotEqualTo(first);
    }

    @Test
    void parsedTextIsFingerprintedWithItsSourceName() throws Exception {
        String yaml = SINKS + ROUTES;

        BridgeConfig config = TestSinkTypes.loader().parse(yaml, "module twin");

        assertThat(config.fingerprint()).isEqualTo(sha("module twin", yaml));
        assertThat(config.files()).isEmpty();
        assertThat(config.routes().get(0).location().file()).isEmpty();
    }

    private static String sha(String name, String text) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    }
}
