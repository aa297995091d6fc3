package io.edgebridge.config.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgebridge.config.template.TemplateSyntaxException;
import io.edgebridge.config.template.Topics;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PermissionFilterTest {

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource({
            "a/+/c, a/b/c, true", "a/+/c, a/b/d, false", "a/#, a, true", "a/#, a/b/c, true", "a/#, b, false",
            "#, x/y, true", "#, $SYS/x, false", "+/x, $SYS/x, false", "$SYS/#, $SYS/x, true", "a/b, a/b/c, false",
            "a/b/c, a/b, false", "+, '', true"})
    void matches(String filter, String topic, boolean expected) {
        assertThat(PermissionFilter.matches(Topics.levels(filter), topic)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} covers {1}: {2}")
    @CsvSource({
            "a/#, a/#, true", "a/#, a, true", "a/#, a/+/c, true", "a/+, a/b, true", "a/+, a/+, true",
            "a/+, a/#, false", "a/b, a/+, false", "a/+/#, a/#, false", "a/+/#, a/x/#, true", "#, #, true",
            "#, $SYS/#, false", "$SYS/#, $SYS/x, true", "+/x, $SYS/x, false", "a/b, a/b/c, false", "a/b/c, a/b, false",
            // '#' needs at least one level and matches no '$' topic, so '+/#' matches exactly what '#' does
            "+/#, #, true", "#, +/#, true", "+/#, $SYS/#, false", "+/+/#, #, false", "+, #, false"})
    void covers(String filter, String subscription, boolean expected) {
        assertThat(PermissionFilter.covers(Topics.levels(filter), subscription)).isEqualTo(expected);
    }

    @Test
    void resolve_substitutesPlainValues_andRefusesWildcardsSlashesNulAndMissingValues() {
        PermissionFilter filter = PermissionFilter.parse("t/<username>/<clientId>/#");

        assertThat(filter.resolve("dev1", Optional.of("alice"))).hasValueSatisfying(
                levels -> assertThat(String.join("/", levels)).isEqualTo("t/alice/dev1/#"));
        assertThat(filter.resolve("dev1", Optional.empty())).isEmpty();
        for (String bad : new String[] {"+", "#", "a/b", "a\0b", ""}) {
            assertThat(filter.resolve(bad, Optional.of("alice"))).as(bad).isEmpty();
            assertThat(filter.resolve("dev1", Optional.of(bad))).as(bad).isEmpty();
        }
        assertThat(filter.usesUsername()).isTrue();
        assertThat(PermissionFilter.parse("a/<clientId>").usesUsername()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/#/b", "a+/b", "<deviceId>/x", "a/<clientId>x", "$share/g/a", "a\0b"})
    void parse_refusesWhatIsNotAPermissionFilter(String text) {
        assertThatThrownBy(() -> PermissionFilter.parse(text)).isInstanceOf(TemplateSyntaxException.class);
    }
}
