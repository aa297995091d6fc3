package io.edgebridge.config.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicAlgebraTest {

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource({
            "a/b, a/b, true", "a/b, a/c, false", "a/b, a/b/c, false", "a/b/c, a/b, false",
            "a/+, a/b, true", "a/+, a, false", "a/+, a/, true", "+/+, /x, true", "+, '', true",
            "a/#, a, true", "a/#, a/b/c, true", "a/#, ab, false", "a//b, a//b, true", "a//b, a/b, false",
            "#, x, true", "#, /, true", "#, $SYS/x, false", "+/x, $SYS/x, false", "+, $, false",
            "$SYS/#, $SYS/x, true", "$SYS/#, $SYS, true", "$SYS/+, $SYS/x, true", "x/#, x/$y, true", "x/+, x/$y, true"})
    void matches(String filter, String topic, boolean expected) {
        assertThat(TopicAlgebra.matches(filter, topic)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} covers {1}: {2}")
    @CsvSource({
            "a/b, a/b, true", "a/b, a/c, false", "a/+, a/b, true", "a/+, a/+, true", "a/b, a/+, false",
            "a/+, a/#, false", "a/#, a, true", "a/#, a/#, true", "a/#, a/+/c, true", "a, a/#, false",
            "a/+/#, a/#, false", "a/+/#, a/x/#, true", "a/b, a/b/c, false", "a/b/c, a/b, false",
            "a//b, a//b, true", "a/+/b, a//b, true", "a//b, a/+/b, false",
            "#, #, true", "#, a/+/c, true", "#, +/x, true", "+/#, #, true", "#, +/#, true", "+/+/#, #, false",
            "+, #, false", "+, +, true", "+, a, true",
            "#, $SYS/#, false", "+/#, $SYS/x, false", "+/x, $SYS/x, false", "$SYS/#, $SYS/x, true",
            "$SYS/#, $SYS, true", "$SYS/+, $SYS/#, false", "$SYS/#, #, false", "$SYS/#, +/x, false",
            // a topic name is never empty: '/#' cannot match '', so '/+/#' matches what it does
            "/+/#, /#, true", "/#, /+/#, true", "+/+/#, +/#, false", "+, /#, false"})
    void covers(String a, String b, boolean expected) {
        assertThat(TopicAlgebra.covers(a, b)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} overlaps {1}: {2}")
    @CsvSource({
            "a/b, a/b, true", "a/b, a/c, false", "a/+, a/b, true", "a/+, +/b, true", "a/+, a, false",
            "a/#, a, true", "a/#, a/b/c, true", "a/+/c, a/b, false", "+/+, a/b/c, false", "a/b/#, a/c/#, false",
            "a//b, a/+/b, true", "a//b, a/b, false", "#, x/y, true", "#, +, true", "+/#, #, true",
            "#, $SYS/x, false", "+/x, $SYS/x, false", "+/#, $aws/things/t/shadow/#, false",
            "$SYS/#, $SYS/x, true", "$SYS/+, $SYS/#, true", "$SYS, $SYS/#, true", "$a/b, $b/b, false",
            "+, /#, false", "+/+, /#, true", "+, +/#, true"})
    void overlaps_isSymmetric(String a, String b, boolean expected) {
        assertThat(TopicAlgebra.overlaps(a, b)).isEqualTo(expected);
        assertThat(TopicAlgebra.overlaps(b, a)).isEqualTo(expected);
    }

    /**
     * Every filter of up to three levels over a small alphabet against every topic of up to four
     * levels: covers and overlaps agree with their definitions through a plain matcher. Longer topics
     * add nothing: a counterexample, when there is one, is at most one level longer than the filters.
     */
    @Test
    void coversAndOverlaps_agreeWithTheirDefinitions_overAllSmallFiltersAndTopics() {
        List<String[]> filters = filters(3);
        List<String[]> topics = topics(4);
        boolean[][] matched = new boolean[filters.size()][topics.size()];
        for (int f = 0; f < filters.size(); f++) {
            for (int t = 0; t < topics.size(); t++) {
                matched[f][t] = reference(filters.get(f), topics.get(t), 0);
                assertThat(TopicAlgebra.matches(filters.get(f), topics.get(t))).as("%s matches %s",
                        text(filters.get(f)), text(topics.get(t))).isEqualTo(matched[f][t]);
            }
        }
        for (int a = 0; a < filters.size(); a++) {
            for (int b = 0; b < filters.size(); b++) {
                boolean covers = true;
                boolean overlaps = false;
                for (int t = 0; t < topics.size(); t++) {
                    covers &= !matched[b][t] || matched[a][t];
                    overlaps |= matched[a][t] && matched[b][t];
                }
                String[] fa = filters.get(a);
                String[] fb = filters.get(b);
                assertThat(TopicAlgebra.covers(fa, fb)).as("%s covers %s", text(fa), text(fb)).isEqualTo(covers);
                assertThat(TopicAlgebra.overlaps(fa, fb)).as("%s overlaps %s", text(fa), text(fb)).isEqualTo(overlaps);
            }
        }
    }

    /** The matching rule written as directly as possible, for the exhaustive check. */
    private static boolean reference(String[] filter, String[] topic, int i) {
        if (i == 0 && topic[0].startsWith("$") && (filter[0].equals("+") || filter[0].equals("#"))) {
            return false;
        }
        if (i == filter.length) {
            return i == topic.length;
        }
        if (filter[i].equals("#")) {
            return true;
        }
        return i < topic.length && (filter[i].equals("+") || filter[i].equals(topic[i]))
                && reference(filter, topic, i + 1);
    }

    private static List<String[]> filters(int maxLevels) {
        List<String[]> out = new ArrayList<>();
        for (List<String> levels : sequences(List.of("a", "$s", "", "+", "#"), maxLevels)) {
            if (levels.indexOf("#") >= 0 && levels.indexOf("#") != levels.size() - 1 || levels.equals(List.of(""))) {
                continue; // '#' only last; the empty filter is not a filter
            }
            out.add(levels.toArray(String[]::new));
        }
        return out;
    }

    /** Topics use one level ('z') that no filter names, standing for every other value. */
    private static List<String[]> topics(int maxLevels) {
        return sequences(List.of("a", "$s", "", "z"), maxLevels).stream().filter(l -> !l.equals(List.of("")))
                .map(l -> l.toArray(String[]::new)).toList();
    }

    private static List<List<String>> sequences(List<String> alphabet, int maxLength) {
        List<List<String>> all = new ArrayList<>();
        List<List<String>> previous = List.of(List.of());
        for (int length = 1; length <= maxLength; length++) {
            List<List<String>> next = new ArrayList<>();
            for (List<String> prefix : previous) {
                for (String level : alphabet) {
                    List<String> longer = new ArrayList<>(prefix);
                    longer.add(level);
                    next.add(longer);
                }
            }
            all.addAll(next);
            previous = next;
        }
        return all;
    }

    private static String text(String[] levels) {
        return String.join("/", levels);
    }
}
