package io.edgebridge.core.internal.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which subscriptions the route table asks a broker for: none dropped that another does not truly cover. */
class RouteTableTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            // '#' and '+' never match a topic starting with '$': a '$' filter must keep its own subscription
            "#,$aws/things/t/shadow/#          | #,$aws/things/t/shadow/#",
            "+/+,$SYS/x                        | +/+,$SYS/x",
            "$SYS/#,$SYS/x,#                   | $SYS/#,#",
            // '+/#' and '#' match the same topics: one subscription is enough, the first one written
            "#,+/#                             | #",
            "+/#,#,a/b                         | +/#",
    })
    void minimalCover_keepsWhatNoOtherFilterCovers(String filters, String expected) {
        assertThat(RouteTable.minimalCover(List.of(filters.split(",")))).containsExactly(expected.split(","));
    }
}
