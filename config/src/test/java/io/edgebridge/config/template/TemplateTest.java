package io.edgebridge.config.template;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.template.Template.Literal;
import io.edgebridge.config.template.Template.Placeholder;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TemplateTest {

    static Stream<Arguments> parts() {
        return Stream.of(
                Arguments.of("edge/<deviceId>/data",
                        List.of(new Literal("edge/"), new Placeholder("deviceId"), new Literal("/data"))),
                Arguments.of("<a><b>", List.of(new Placeholder("a"), new Placeholder("b"))),
                Arguments.of("x/<#>", List.of(new Literal("x/"), new Placeholder("#"))),
                // '<<' writes a literal '<'
                Arguments.of("a<<b>", List.of(new Literal("a<b>"))),
                Arguments.of("<<<x>", List.of(new Literal("<"), new Placeholder("x"))),
                // a '<' that does not start a valid placeholder is literal
                Arguments.of("a < b", List.of(new Literal("a < b"))),
                Arguments.of("<1x>", List.of(new Literal("<1x>"))),
                Arguments.of("<>", List.of(new Literal("<>"))),
                Arguments.of("<unclosed", List.of(new Literal("<unclosed"))),
                Arguments.of("{\"state\":{\"reported\":<payload>}}",
                        List.of(new Literal("{\"state\":{\"reported\":"), new Placeholder("payload"), new Literal("}}"))),
                Arguments.of("<dev.id>-<_x>", List.of(new Placeholder("dev.id"), new Literal("-"), new Placeholder("_x"))),
                Arguments.of("", List.of()));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("parts")
    void parsesIntoLiteralsAndPlaceholders(String text, List<Template.Part> expected) {
        Template template = Template.parse(text);

        assertThat(template.parts()).containsExactlyElementsOf(expected);
        assertThat(template.text()).isEqualTo(text);
    }

    @Test
    void placeholderNamesAreInOrderOfFirstUse() {
        Template template = Template.parse("<b>/<a>/<b>");

        assertThat(template.placeholderNames()).containsExactly("b", "a");
        assertThat(template.isConstant()).isFalse();
        assertThat(Template.parse("plain/topic").isConstant()).isTrue();
    }

    @Test
    void literalTemplatesHaveNoPlaceholders() {
        assertThat(Template.literal("a/<b>").parts()).containsExactly(new Literal("a/<b>"));
        assertThat(Template.literal("").parts()).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"deviceId, true", "_x, true", "a.b-c_1, true", "#, true", "1a, false", "'', false", "a b, false",
            "-a, false", "a/b, false"})
    void validNames(String name, boolean valid) {
        assertThat(Template.isValidName(name)).isEqualTo(valid);
    }

    @Test
    void equalityIsByText() {
        assertThat(Template.parse("a/<x>")).isEqualTo(Template.parse("a/<x>")).hasToString("a/<x>")
                .hasSameHashCodeAs(Template.parse("a/<x>"));
    }
}
