package io.edgebridge.config.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PasswordFileTest {

    private static final String SEVEN = "$7$101$ymfzIwgGbxW13Dx4$W2vUHCDNR7WHxk49fTkDcqJLQZUagISAfGX1QPQQp59oSvh0Vdzhbb43T5fdJtP8pjGGzDAkAHI8UY7BikyRzA==";
    private static final String SIX = "$6$6SNPF/Geot40g4cp$WoVuTiafUe/pu9VxGzgUdK9Lp7ENa0cO6LRPgM3iRFCygr/FjQK7idQoyIgJ18i/uLeRbpUmg2QBQ1ATXqpubA==";

    @Test
    void readsBothFormats_skippingCommentsAndBlankLines_andFormatsThemBack() {
        PasswordFile.Parsed parsed = PasswordFile.parse(List.of("# users", "", "alice:" + SEVEN, "  carol:" + SIX + "  \r"));

        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.entries()).containsOnlyKeys("alice", "carol");
        assertThat(PasswordFile.line("alice", parsed.entries().get("alice"))).isEqualTo("alice:" + SEVEN);
        assertThat(PasswordFile.line("carol", parsed.entries().get("carol"))).isEqualTo("carol:" + SIX);
        assertThat(parsed.entries().get("alice").toString()).isEqualTo("$7$101$****");
    }

    @Test
    void malformedLines_areProblemsNamingLineAndUser_neverTheHash() {
        PasswordFile.Parsed parsed = PasswordFile.parse(List.of(
                "no-colon-here", ":" + SEVEN, "bob:secret", "eve:$7$0$c2FsdA==$aGFzaA==", "dan:$6$c2FsdA==$c2hvcnQ=",
                "ann:" + SEVEN, "ann:" + SIX));

        assertThat(parsed.problems()).extracting(PasswordFile.Problem::line).containsExactly(1, 2, 3, 4, 5, 7);
        assertThat(parsed.problems().get(2).message()).contains("'bob'").doesNotContain("secret");
        assertThat(parsed.problems().get(5).message()).isEqualTo("user 'ann' is already defined on line 6");
        assertThat(parsed.problems()).allSatisfy(p -> assertThat(p.message()).doesNotContain("c2FsdA", "ymfz", "6SNPF"));
    }
}
