package io.edgebridge.core.internal.local.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgebridge.config.auth.PasswordFile;
import io.edgebridge.core.testing.LogCapture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

class PasswordStoreTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private static String line(String user, String password) {
        return PasswordFile.line(user, PasswordHashing.create(utf8(password), new SecureRandom())) + "\n";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void reloadIfChanged_picksUpAnAddedUser_andNothingWhenUnchanged() throws Exception {
        Path file = Files.writeString(dir.resolve("passwd"), line("alice", "a-pw"));
        PasswordStore store = new PasswordStore(file);
        store.load();

        try (LogCapture logs = LogCapture.start()) {
            store.reloadIfChanged();
            Files.writeString(file, Files.readString(file) + line("bob", "b-pw"));
            store.reloadIfChanged();

            assertThat(logs.lines()).isEmpty();
        }
        assertThat(store.size()).isEqualTo(2);
        assertThat(store.verify("bob", utf8("b-pw"))).isTrue();
        assertThat(store.verify("alice", utf8("a-pw"))).isTrue();
    }

    @Test
    void reloadIfChanged_aBrokenFile_keepsThePreviousUsers_andIsLoggedOnce() throws Exception {
        Path file = Files.writeString(dir.resolve("passwd"), line("alice", "a-pw"));
        PasswordStore store = new PasswordStore(file);
        store.load();

        try (LogCapture logs = LogCapture.start()) {
            Files.writeString(file, Files.readString(file) + "eve:not-a-hash\n");
            store.reloadIfChanged();
            store.reloadIfChanged();

            assertThat(logs.lines()).singleElement().asString().contains("password file not reloaded")
                    .contains(file + ":2: ").doesNotContain("not-a-hash");
        }
        assertThat(store.verify("alice", utf8("a-pw"))).isTrue();
    }

    @Test
    void reloadIfChanged_aMissingFile_keepsTheUsers_isLoggedOnce_andReloadsWhenItIsBack() throws Exception {
        Path file = Files.writeString(dir.resolve("passwd"), line("alice", "a-pw"));
        PasswordStore store = new PasswordStore(file);
        store.load();

        try (LogCapture logs = LogCapture.start()) {
            Files.delete(file);
            store.reloadIfChanged();
            store.reloadIfChanged();
            store.reloadIfChanged();

            assertThat(store.verify("alice", utf8("a-pw"))).isTrue();
            assertThat(logs.lines()).singleElement().asString().contains("password file: cannot read " + file)
                    .contains("it does not exist");
        }
        Files.writeString(file, line("alice", "a-pw") + line("carol", "c-pw"));
        store.reloadIfChanged();

        assertThat(store.verify("carol", utf8("c-pw"))).isTrue();
    }

    @Test
    void load_aMissingOrBrokenFile_isAnError() throws Exception {
        assertThatThrownBy(() -> new PasswordStore(dir.resolve("absent")).load()).isInstanceOf(IOException.class);
        Path broken = Files.writeString(dir.resolve("broken"), "eve:not-a-hash\n");
        assertThatThrownBy(() -> new PasswordStore(broken).load()).isInstanceOf(IOException.class)
                .hasMessageContaining(broken + ":1: ");
    }
}
