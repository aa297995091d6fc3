package io.edgebridge.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SubstitutionTest {

    private static final Map<String, String> ENV = Map.of("HOST", "broker.example.com", "PORT", "8883", "EMPTY", "",
            "NESTED", "${HOST}");
    private final Substitution substitution = new Substitution(ENV::get);

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            plain text                          | plain text
            mqtts://${HOST}:${PORT}             | mqtts://broker.example.com:8883
            ${HOST}                             | broker.example.com
            ${MISSING:-fallback}                | fallback
            ${EMPTY:-fallback}                  | fallback
            ${HOST:-fallback}                   | broker.example.com
            ${MISSING:-}                        | ''
            ${MISSING:-a:b-c}                   | a:b-c
            $${HOST}                            | ${HOST}
            cost $5 and $$ stay                 | cost $5 and $$ stay
            a$${b}${PORT}                       | a${b}8883
            ${NESTED}                           | ${HOST}
            """)
    void expands(String text, String expected) {
        Substitution.Result result = substitution.expand(text);

        assertThat(result.errors()).isEmpty();
        assertThat(result.value()).isEqualTo(expected);
    }

    @Test
    void remembersWhatWasSubstituted() {
        assertThat(substitution.expand("mqtts://${HOST}:${PORT:-1}").references())
                .containsExactly("${HOST}", "${PORT}");
        assertThat(substitution.expand("$${HOST} plain").references()).isEmpty();
    }

    @Test
    void anEmptyVariableWithoutDefaultIsEmpty() {
        assertThat(substitution.expand("x${EMPTY}y").value()).isEqualTo("xy");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            ${MISSING}               | environment variable MISSING is not set (write ${MISSING:-default} to give a default)
            a/${HOST                 | '${' is not closed with '}'
            ${}                      | invalid ${...} reference
            ${not a name:-hunter2}   | invalid ${...} reference
            ${file:}                 | ${file:} needs a path
            ${file:/nonexistent/edgebridge/x} | cannot read ${file:/nonexistent/edgebridge/x}: the file does not exist
            """)
    void reportsBadReferences(String text, String message) {
        Substitution.Result result = substitution.expand(text);

        assertThat(result.failed()).isTrue();
        assertThat(result.errors()).singleElement().asString().contains(message).doesNotContain("hunter2");
    }

    @Test
    void reportsEveryMissingVariableOfOneValue() {
        assertThat(substitution.expand("${A}/${B}").errors()).hasSize(2);
    }

    @Test
    void readsFilesWithoutOneTrailingLineBreak(@TempDir Path dir) throws IOException {
        Path unix = Files.writeString(dir.resolve("unix"), "s3cret\n");
        Path windows = Files.writeString(dir.resolve("windows"), "s3cret\r\n");
        Path two = Files.writeString(dir.resolve("two"), "s3cret\n\n");
        Path none = Files.writeString(dir.resolve("none"), "s3cret");

        assertThat(substitution.expand("${file:" + unix + "}").value()).isEqualTo("s3cret");
        assertThat(substitution.expand("${file:" + windows + "}").value()).isEqualTo("s3cret");
        assertThat(substitution.expand("${file:" + two + "}").value()).isEqualTo("s3cret\n");
        assertThat(substitution.expand("${file:" + none + "}").value()).isEqualTo("s3cret");
        assertThat(substitution.expand("pre-${file:" + none + "}-post").references())
                .isEqualTo(List.of("${file:" + none + "}"));
    }

    @Test
    void aDirectoryIsNotASecretFile(@TempDir Path dir) {
        assertThat(substitution.expand("${file:" + dir + "}").errors()).singleElement().asString()
                .contains("it is a directory");
    }

    @Test
    void aFileThatIsNotUtf8IsReported(@TempDir Path dir) throws IOException {
        Path binary = Files.write(dir.resolve("bin"), new byte[] {(byte) 0xC3, (byte) 0x28});

        assertThat(substitution.expand("${file:" + binary + "}").errors()).singleElement().asString()
                .contains("not UTF-8");
    }
}
