package io.edgebridge.core.internal.local.auth;

import io.edgebridge.config.auth.PasswordFile;
import io.edgebridge.config.auth.PasswordHash;
import io.edgebridge.core.support.FileWatcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users of the embedded broker, from a {@code mosquitto_passwd} file. {@link #reloadIfChanged}
 * re-reads it when its modification time or size changed (a {@link FileWatcher} poll); a file that
 * no longer parses or cannot be read keeps the previous users and is logged.
 */
public final class PasswordStore {

    private static final Logger log = LoggerFactory.getLogger(PasswordStore.class);
    /** Checked for unknown users too, so a refusal takes about as long whether or not the user exists. */
    private static final PasswordHash DECOY = PasswordHashing.create("decoy".getBytes(StandardCharsets.UTF_8),
            new SecureRandom());

    private final Path file;
    private final FileWatcher watcher;
    private volatile Map<String, PasswordHash> users = Map.of();

    public PasswordStore(Path file) {
        this.file = file;
        this.watcher = FileWatcher.builder("password file").watch(file, FileWatcher.Fingerprint.METADATA)
                .onChange(change -> {
                    reload();
                    return true; // a file that does not parse is not tried again until it changes
                }).build();
    }

    /** Reads the file; at start a malformed file is an error. */
    public void load() throws IOException {
        String seen = FileWatcher.Fingerprint.METADATA.of(file);
        PasswordFile.Parsed parsed = PasswordFile.read(file);
        if (!parsed.problems().isEmpty()) {
            throw new IOException(describe(parsed));
        }
        users = parsed.entries();
        watcher.markSeen(file, seen);
    }

    /**
     * Re-reads the file if it changed since the last successful read or failed attempt; while it
     * cannot be read the watcher logs that (rate-limited) and the previous users stay.
     */
    public void reloadIfChanged() {
        watcher.checkNow();
    }

    private void reload() {
        try {
            PasswordFile.Parsed parsed = PasswordFile.read(file);
            if (!parsed.problems().isEmpty()) {
                log.atError().addKeyValue("file", file)
                        .log("password file not reloaded, keeping the previous {} users: {}", users.size(),
                                describe(parsed));
                return;
            }
            users = parsed.entries();
            log.atInfo().addKeyValue("file", file).log("password file reloaded: {} users", users.size());
        } catch (IOException | RuntimeException e) {
            log.atError().addKeyValue("file", file)
                    .log("password file not reloaded, keeping the previous {} users: {}", users.size(), e.toString());
        }
    }

    private String describe(PasswordFile.Parsed parsed) {
        return parsed.problems().stream().map(p -> file + ":" + p.line() + ": " + p.message())
                .collect(Collectors.joining("; "));
    }

    /** Whether {@code user} exists and {@code password} is theirs. */
    public boolean verify(String user, byte[] password) {
        Optional<PasswordHash> hash = Optional.ofNullable(users.get(user));
        boolean match = PasswordHashing.verify(hash.orElse(DECOY), password);
        return hash.isPresent() && match;
    }

    int size() {
        return users.size();
    }
}
