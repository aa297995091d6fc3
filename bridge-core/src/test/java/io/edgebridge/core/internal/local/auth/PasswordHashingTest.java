package io.edgebridge.core.internal.local.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.auth.PasswordFile;
import io.edgebridge.config.auth.PasswordHash;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

class PasswordHashingTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void verify_acceptsThePasswordsMosquittoPasswdHashed_inBothFormats_andNothingElse() throws Exception {
        Path file = dir.resolve("passwd");
        mosquittoPasswd("-c", "-b", file.toString(), "pbkdf2", "pÄss wörd:1");
        mosquittoPasswd("-H", "sha512", "-b", file.toString(), "sha", "s3cret");

        PasswordFile.Parsed parsed = PasswordFile.read(file);

        assertThat(parsed.problems()).isEmpty();
        PasswordHash pbkdf2 = parsed.entries().get("pbkdf2");
        PasswordHash sha = parsed.entries().get("sha");
        assertThat(pbkdf2.algorithm()).isEqualTo(PasswordHash.Algorithm.PBKDF2_SHA512);
        assertThat(pbkdf2.iterations()).isEqualTo(PasswordHashing.DEFAULT_ITERATIONS);
        assertThat(pbkdf2.salt()).hasSize(PasswordHashing.SALT_BYTES);
        assertThat(sha.algorithm()).isEqualTo(PasswordHash.Algorithm.SHA512);
        assertThat(PasswordHashing.verify(pbkdf2, utf8("pÄss wörd:1"))).isTrue();
        assertThat(PasswordHashing.verify(sha, utf8("s3cret"))).isTrue();
        assertThat(PasswordHashing.verify(pbkdf2, utf8("pÄss wörd:2"))).isFalse();
        assertThat(PasswordHashing.verify(sha, utf8("s3cret "))).isFalse();
        assertThat(PasswordHashing.verify(sha, new byte[0])).isFalse();
    }

    @Test
    void create_writesWhatMosquittoPasswdWrites_andVerifiesOnlyItsPassword() {
        PasswordHash hash = PasswordHashing.create(utf8("abc"), new SecureRandom());

        String line = PasswordFile.line("u", hash);

        assertThat(line).matches("u:\\$7\\$101\\$[A-Za-z0-9+/]{16}\\$[A-Za-z0-9+/]{86}==");
        PasswordHash parsed = PasswordFile.parse(List.of(line)).entries().get("u");
        assertThat(PasswordHashing.verify(parsed, utf8("abc"))).isTrue();
        assertThat(PasswordHashing.verify(parsed, utf8("abd"))).isFalse();
        assertThat(hash.toString()).doesNotContain(hash.format().substring(10));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void mosquittoPasswd(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/mosquitto_passwd"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(Files.exists(Path.of(args[args.length - 3]))).isTrue();
    }
}
