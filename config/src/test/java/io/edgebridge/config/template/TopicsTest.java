package io.edgebridge.config.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicsTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            device-1   | -
            ''         | is empty
            a/b        | contains '/'
            a+         | contains the wildcard '+'
            a#         | contains the wildcard '#'
            """)
    void untrustedLevels(String value, String problem) {
        assertThat(Topics.checkUntrustedLevel(value)).isEqualTo(Optional.ofNullable(problem));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            a/b      | false | -
            $aws/x   | true  | -
            $aws/x   | false | topic starts with '$'
            a/+      | false | topic contains the wildcard '+'
            ''       | false | topic is empty
            """)
    void topicNames(String topic, boolean allowDollar, String problem) {
        assertThat(Topics.checkTopicName(topic, allowDollar)).isEqualTo(Optional.ofNullable(problem));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            a/b/c  | 3
            a//b   | 3
            /a     | 2
            a      | 1
            ''     | 1
            """)
    void levels(String topic, int count) {
        assertThat(Topics.levels(topic)).hasSize(count);
    }

    @org.junit.jupiter.api.Test
    void untrustedLevelsRejectControlCharactersAndLongValues() {
        assertThat(Topics.checkUntrustedLevel("a\0b")).contains("contains a NUL character");
        assertThat(Topics.checkUntrustedLevel("a\nb")).contains("contains a control character");
        assertThat(Topics.checkUntrustedLevel("x".repeat(Topics.MAX_BOUND_LEVEL_LENGTH + 1))).isPresent();
    }

    @org.junit.jupiter.api.Test
    void boundValueLimitCountsCharacters_notUtf16Units() {
        String emoji = "\uD83D\uDE80"; // one character, two UTF-16 units, four UTF-8 bytes
        assertThat(Topics.checkUntrustedLevel(emoji.repeat(Topics.MAX_BOUND_LEVEL_LENGTH))).isEmpty();
        assertThat(Topics.checkUntrustedLevel(emoji.repeat(Topics.MAX_BOUND_LEVEL_LENGTH + 1)))
                .contains("is longer than 256 characters");
        assertThat(Topics.checkUntrustedLevel("\u00e9".repeat(Topics.MAX_BOUND_LEVEL_LENGTH))).isEmpty();
        assertThat(Topics.checkUntrustedLevel("x".repeat(Topics.MAX_BOUND_LEVEL_LENGTH))).isEmpty();
        assertThat(Topics.checkUntrustedLevel("x".repeat(Topics.MAX_BOUND_LEVEL_LENGTH - 1) + emoji)).isEmpty();
        assertThat(Topics.checkUntrustedLevel("x".repeat(Topics.MAX_BOUND_LEVEL_LENGTH) + emoji))
                .contains("is longer than 256 characters");
        // A lone surrogate is invalid text, whatever the length.
        assertThat(Topics.checkUntrustedLevel("\uD83D" + "x".repeat(300))).contains("is not valid UTF-16 text");
    }
}
