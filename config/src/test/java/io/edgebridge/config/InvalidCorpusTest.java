package io.edgebridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file of {@code src/test/resources/invalid/} holds one mistake, described by its header:
 * {@code # expect: <line> <substring>} and optionally {@code # key: <keyPath>}. The engine runs
 * the same files through its CLI with the real sink types.
 */
class InvalidCorpusTest {

    private static final Pattern EXPECT = Pattern.compile("# expect: (\\d+) (.+)");
    private static final Pattern KEY = Pattern.compile("# key: (.+)");
    /** Secret values the corpus and the test environment contain; no message may show them. */
    private static final List<String> SECRETS = List.of("hunter2", "s3cret-from-env");

    record Expectation(int line, String substring, Optional<String> keyPath) {
    }

    static Stream<String> corpus() throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.list(directory())) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted()
                    .toList();
            assertThat(names).hasSizeGreaterThanOrEqualTo(35);
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void reportsTheMistakeAtItsLine(String fileName) throws Exception {
        Path file = directory().resolve(fileName);
        Expectation expected = expectation(file);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> TestSinkTypes.loader().load(file));

        assertThat(e).as("%s loads without a ConfigException", fileName).isNotNull();
        assertThat(e.problems())
                .as("problems of %s:%n%s", fileName, e.getMessage())
                .anySatisfy(p -> {
                    assertThat(p.location().line()).isEqualTo(expected.line());
                    assertThat(p.format()).contains(fileName).contains(expected.substring());
                    expected.keyPath().ifPresent(k -> assertThat(p.location().keyPath()).isEqualTo(k));
                });
        assertThat(e.getMessage()).doesNotContain("Exception").doesNotContain("\tat ");
        SECRETS.forEach(secret -> assertThat(e.getMessage()).doesNotContain(secret));
    }

    static Expectation expectation(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        Matcher expect = EXPECT.matcher(lines.get(0));
        assertThat(expect.matches()).as("%s starts with '# expect: <line> <substring>'", file).isTrue();
        Matcher key = KEY.matcher(lines.size() > 1 ? lines.get(1) : "");
        return new Expectation(Integer.parseInt(expect.group(1)), expect.group(2).strip(),
                key.matches() ? Optional.of(key.group(1).strip()) : Optional.empty());
    }

    private static Path directory() throws URISyntaxException {
        return Path.of(InvalidCorpusTest.class.getResource("/invalid").toURI());
    }
}
