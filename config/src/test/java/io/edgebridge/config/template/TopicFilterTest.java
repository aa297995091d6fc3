package io.edgebridge.config.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TopicFilterTest {

    /** filter, topic, expected bindings ("-" = no match). */
    static Stream<Arguments> matching() {
        return Stream.of(
                Arguments.of("sensors/<deviceId>/data", "sensors/d1/data", List.of("d1")),
                Arguments.of("sensors/<deviceId>/data", "sensors/d1/other", null),
                Arguments.of("sensors/<deviceId>/data", "sensors/d1/data/more", null),
                Arguments.of("sensors/<deviceId>/data", "sensors/data", null),
                Arguments.of("sensors/<deviceId>/<metric>", "sensors/d1/temp", List.of("d1", "temp")),
                Arguments.of("sensors/+/<metric>", "sensors/d1/temp", List.of("temp")),
                Arguments.of("sensors/<deviceId>/#", "sensors/d1/a/b/c", List.of("d1", "a/b/c")),
                Arguments.of("sensors/<deviceId>/#", "sensors/d1/a", List.of("d1", "a")),
                // 'a/#' also matches 'a': the rest is empty
                Arguments.of("sensors/<deviceId>/#", "sensors/d1", List.of("d1", "")),
                Arguments.of("sensors/#", "sensors", List.of("")),
                Arguments.of("sensors/#", "sensorsX", null),
                Arguments.of("#", "a/b", List.of("a/b")),
                Arguments.of("+/status", "d1/status", List.of()),
                Arguments.of("a//<x>", "a//v", List.of("v")),
                Arguments.of("a/<x>", "a/", List.of("")),
                // a filter starting with a wildcard never matches a topic starting with '$'
                Arguments.of("#", "$SYS/broker/uptime", null),
                Arguments.of("+/status", "$SYS/status", null),
                Arguments.of("<device>/status", "$dev/status", null),
                Arguments.of("$SYS/#", "$SYS/broker/uptime", List.of("broker/uptime")),
                Arguments.of("$aws/things/<thing>/shadow/#", "$aws/things/t1/shadow/update/delta",
                        List.of("t1", "update/delta")));
    }

    @ParameterizedTest(name = "{0} ~ {1}")
    @MethodSource("matching")
    void matchesAndBinds(String filterText, String topic, List<String> expected) {
        TopicFilter filter = TopicFilter.parse(filterText);
        String[] values = new String[filter.bindingCount()];

        boolean matched = filter.matches(topic, Topics.levels(topic), values);

        assertThat(matched).isEqualTo(expected != null);
        if (expected != null) {
            assertThat(Arrays.asList(values)).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void bindingNamesAreInLevelOrderWithTheRestLast() {
        TopicFilter filter = TopicFilter.parse("site/<site>/+/<deviceId>/#");

        assertThat(filter.bindingNames()).containsExactly("site", "deviceId", "#");
        assertThat(filter.subscription()).isEqualTo("site/+/+/+/#");
        assertThat(filter.isMultiLevel()).isTrue();
        assertThat(filter.text()).isEqualTo("site/<site>/+/<deviceId>/#");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                      | topic filter is empty
            $share/g/a/b            | shared subscriptions
            a/#/b                   | '#' must be the last level
            a/b#                    | wildcards must fill a whole level
            a/x+/b                  | wildcards must fill a whole level
            a/dev-<id>/b            | a placeholder must fill a whole level
            a/<id>x/b               | a placeholder must fill a whole level
            a/<1id>/b               | a placeholder must fill a whole level
            a/<#>                   | <#> cannot be written in a filter
            a/<id>/b/<id>           | <id> is bound twice
            """)
    void rejectsInvalidFilters(String text, String message) {
        assertThatThrownBy(() -> TopicFilter.parse(text))
                .isInstanceOf(TemplateSyntaxException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @CsvSource({
            "a/b, a/b, true",
            "a/b, a/c, false",
            "a/+, a/b, true",
            "a/+, +/b, true",
            "a/#, a, true",
            "a/#, a/b/c, true",
            "#, x/y, true",
            "a/+, a, false",
            "a/+/c, a/b, false",
            "a/b/c, a/b, false",
            "+/+, a/b/c, false",
            "a/b/#, a/c/#, false",
            "devices/+/commands/+, sensors/+/#, false",
            "devices/+/commands/+, devices/#, true",
            // MQTT 5 4.7.2: a filter starting with a wildcard matches no topic starting with '$'
            "#, $SYS/x, false",
            "+/x, $SYS/x, false",
            "+/#, $aws/things/t/shadow/#, false",
            "$SYS/#, $SYS/x, true",
            "$SYS/+, $SYS/#, true",
    })
    void overlap(String a, String b, boolean expected) {
        assertThat(TopicFilter.subscriptionsOverlap(a, b)).isEqualTo(expected);
        assertThat(TopicFilter.subscriptionsOverlap(b, a)).isEqualTo(expected);
    }

    @Test
    void overlapsComparesSubscriptions() {
        assertThat(TopicFilter.parse("a/<x>/c").overlaps(TopicFilter.parse("a/b/<y>"))).isTrue();
        assertThat(TopicFilter.parse("a/<x>/c").overlaps(TopicFilter.parse("b/#"))).isFalse();
    }

    @Test
    void overlaps_aWildcardFirstFilterAndADollarTopic_doNotOverlap() {
        // Downstream routes '#' and '$aws/...' of one sink never see the same cloud message.
        assertThat(TopicFilter.parse("#").overlaps(TopicFilter.parse("$aws/things/t/shadow/update/accepted")))
                .isFalse();
        assertThat(TopicFilter.parse("<thing>/#").overlaps(TopicFilter.parse("$aws/things/t/jobs/notify")))
                .isFalse();
    }

    @Test
    void equalityIsByText() {
        assertThat(TopicFilter.parse("a/<x>")).isEqualTo(TopicFilter.parse("a/<x>"))
                .hasSameHashCodeAs(TopicFilter.parse("a/<x>"))
                .isNotEqualTo(TopicFilter.parse("a/<y>"));
        assertThat(TopicFilter.parse("a/<x>")).hasToString("a/<x>");
    }
}
