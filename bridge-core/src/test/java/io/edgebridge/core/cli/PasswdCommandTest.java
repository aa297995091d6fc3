package io.edgebridge.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.auth.PasswordFile;
import io.edgebridge.core.internal.local.auth.PasswordHashing;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

class PasswdCommandTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    record Result(int code, String out, String err) {
    }

    private static Result passwd(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        InputStream previous = PasswdCommandAccess.swapStdin(
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "passwd";
            System.arraycopy(args, 0, all, 1, args.length);
            int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), all);
            return new Result(code, out.toString(), err.toString());
        } finally {
            PasswdCommandAccess.swapStdin(previous);
        }
    }

    @Test
    void addsAUser_toANewOwnerOnlyFile_inMosquittosDefaultFormat() throws Exception {
        Path file = dir.resolve("passwd");

        Result result = passwd("pw-one\n", "--file", file.toString(), "--stdin", "alice");

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out()).contains("added user 'alice'").doesNotContain("pw-one");
        assertThat(Files.readString(file)).startsWith("alice:$7$101$");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        var hash = PasswordFile.read(file).entries().get("alice");
        assertThat(PasswordHashing.verify(hash, "pw-one".getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void updatesAndDeletes_keepingCommentsAndOtherUsers() throws Exception {
        Path file = dir.resolve("passwd");
        passwd("pw-a\r\n", "--file", file.toString(), "--stdin", "alice");
        Files.writeString(file, "# devices\n" + Files.readString(file));
        passwd("pw-b", "--file", file.toString(), "--stdin", "bob");

        Result update = passwd("pw-a2\n", "--file", file.toString(), "--stdin", "alice");
        var users = PasswordFile.read(file).entries();

        assertThat(update.out()).contains("updated user 'alice'");
        assertThat(Files.readAllLines(file)).hasSize(3).first().isEqualTo("# devices");
        assertThat(PasswordHashing.verify(users.get("alice"), "pw-a2".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(PasswordHashing.verify(users.get("bob"), "pw-b".getBytes(StandardCharsets.UTF_8))).isTrue();

        Result delete = passwd("", "--file", file.toString(), "--delete", "alice");

        assertThat(delete.code()).isZero();
        assertThat(PasswordFile.read(file).entries()).containsOnlyKeys("bob");
        assertThat(passwd("", "--file", file.toString(), "--delete", "alice").code()).isEqualTo(1);
    }

    @Test
    void refuses_badNames_emptyPasswords_noConsole_andFilesWithMalformedLines() throws Exception {
        Path file = dir.resolve("passwd");

        assertThat(passwd("x\n", "--file", file.toString(), "--stdin", "a:b").err()).contains("must not");
        assertThat(passwd("\n", "--file", file.toString(), "--stdin", "alice").err()).contains("must not be empty");
        assertThat(passwd("", "--file", file.toString(), "alice").err()).contains("use --stdin");
        Files.writeString(file, "alice:hunter2\n");
        Result malformed = passwd("pw\n", "--file", file.toString(), "--stdin", "bob");
        assertThat(malformed.code()).isEqualTo(1);
        assertThat(malformed.err()).contains("passwd:1:", "'alice'").doesNotContain("hunter2");
        assertThat(Files.readString(file)).isEqualTo("alice:hunter2\n");
    }
}
