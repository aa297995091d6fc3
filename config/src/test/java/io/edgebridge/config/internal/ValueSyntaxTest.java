package io.edgebridge.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValueSyntaxTest {

    @ParameterizedTest(name = "{0} -> {1} ms")
    @CsvSource(nullValues = "-", textBlock = """
            0,      0
            500ms,  500
            10s,    10000
            5m,     300000
            2h,     7200000
            7d,     604800000
            10S,    10000
            ' 3s ', 3000
            10,     -
            1.5s,   -
            10 s,   -
            -5s,    -
            1h30m,  -
            10sec,  -
            '',     -
            """)
    void durations(String text, Long millis) {
        assertThat(ValueSyntax.duration(text)).isEqualTo(Optional.ofNullable(millis).map(Duration::ofMillis));
    }

    @Test
    void hugeDurationsDoNotOverflow() {
        assertThat(ValueSyntax.duration("99999999999999999999d")).contains(ValueSyntax.HUGE_DURATION);
        assertThat(ValueSyntax.duration("999999999999999999d")).contains(ValueSyntax.HUGE_DURATION);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "-", textBlock = """
            512,     512
            0,       0
            512B,    512
            64KB,    65536
            64kb,    65536
            64KiB,   65536
            100MB,   104857600
            2GB,     2147483648
            1.5GB,   1610612736
            1TB,     1099511627776
            1TiB,    1099511627776
            '2 GB',  2147483648
            1.5,     2
            2 gigs,  -
            -1KB,    -
            KB,      -
            1PB,     -
            '',      -
            """)
    void byteSizes(String text, Long bytes) {
        OptionalLong parsed = ValueSyntax.byteSize(text);
        assertThat(parsed.isPresent() ? Long.valueOf(parsed.getAsLong()) : null).isEqualTo(bytes);
    }

    @Test
    void hugeSizesSaturate() {
        assertThat(ValueSyntax.byteSize("99999999999TB")).hasValue(Long.MAX_VALUE);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "-", textBlock = """
            true,  true
            TRUE,  true
            False, false
            yes,   -
            no,    -
            on,    -
            off,   -
            1,     -
            """)
    void booleans(String text, Boolean expected) {
        assertThat(ValueSyntax.bool(text)).isEqualTo(Optional.ofNullable(expected));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"0, 0", "1d, 86400000", "90s, 90000", "1500ms, 1500", "2h, 7200000", "30m, 1800000"})
    void formatsDurations(String expected, long millis) {
        assertThat(ValueSyntax.format(Duration.ofMillis(millis))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"64KB, 65536", "1GB, 1073741824", "1536MB, 1610612736", "100B, 100", "0B, 0"})
    void formatsBytes(String expected, long bytes) {
        assertThat(ValueSyntax.formatBytes(bytes)).isEqualTo(expected);
    }

    @Test
    void numbers() {
        assertThat(ValueSyntax.integer("+42")).hasValueSatisfying(v -> assertThat(v.intValue()).isEqualTo(42));
        assertThat(ValueSyntax.integer("4.2")).isEmpty();
        assertThat(ValueSyntax.integer("0x10")).isEmpty();
        assertThat(ValueSyntax.decimal("0.5")).contains(0.5);
        assertThat(ValueSyntax.decimal(".5")).contains(0.5);
        assertThat(ValueSyntax.decimal("half")).isEmpty();
        assertThat(ValueSyntax.format(1.0)).isEqualTo("1");
        assertThat(ValueSyntax.format(0.25)).isEqualTo("0.25");
    }
}
