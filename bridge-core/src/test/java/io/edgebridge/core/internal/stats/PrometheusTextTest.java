package io.edgebridge.core.internal.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The test parser is strict: it must refuse what Prometheus would refuse. */
class PrometheusTextTest {

    @Test
    void aValidExposition_parses() {
        PrometheusText text = PrometheusText.parse("""
                # HELP a_total Counts "things" \\\\ and \\n more
                # TYPE a_total counter
                a_total{route="r\\"1",sink="s"} 5.0
                # TYPE h_seconds histogram
                h_seconds_bucket{le="0.1"} 1
                h_seconds_bucket{le="+Inf"} 3
                h_seconds_count 3
                h_seconds_sum 0.7
                # TYPE g gauge
                g NaN
                """);

        assertThat(text.value("a_total", Map.of("route", "r\"1", "sink", "s"))).hasValue(5.0);
        assertThat(text.types()).containsEntry("h_seconds", "histogram");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "a 1\n",                                              // no TYPE
            "# TYPE a gauge\na{x=\"1\"} one\n",                   // not a number
            "# TYPE a gauge\na{x=1} 1\n",                         // unquoted label value
            "# TYPE a gauge\na{1x=\"1\"} 1\n",                    // bad label name
            "# TYPE a gauge\na{x=\"\\t\"} 1\n",                  // bad escape
            "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",             // label repeated
            "# TYPE a gauge\na 1\na 2\n",                         // series repeated
            "# TYPE a gauge\n# TYPE a gauge\n",                   // TYPE repeated
            "# TYPE a gauge\n\na 1\n",                            // blank line
            "# TYPE a gauge\na 1",                                // no final line break
            "# TYPE 1a gauge\n",                                  // bad name
            "# TYPE a gauge\n# a comment\n",                      // neither HELP nor TYPE
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", // not cumulative
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_count 2\n",                         // no +Inf
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",                      // count differs
    })
    void anInvalidExposition_isRefused(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> PrometheusText.parse(text));
    }
}
