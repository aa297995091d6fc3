package io.edgebridge.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SuggestionsTest {

    private static final List<String> KEYS = List.of("dataDir", "local", "spool", "deadLetter", "stats", "sinks",
            "routes", "maxInFlight");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "-", textBlock = """
            sinkz,        sinks
            SINKS,        sinks
            datadir,      dataDir
            rotes,        routes
            deadletters,  deadLetter
            maxinflight,  maxInFlight
            maxInFlite,   maxInFlight
            xyz,          -
            banana,       -
            """)
    void suggestsTheClosestKey(String written, String expected) {
        assertThat(Suggestions.closest(written, KEYS)).isEqualTo(Optional.ofNullable(expected));
    }

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({"kitten, sitting, 3", "a, a, 0", "'', abc, 3", "Sinks, sinks, 0"})
    void distance(String a, String b, int expected) {
        assertThat(Suggestions.distance(a, b)).isEqualTo(expected);
    }
}
