package io.edgebridge.config.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A password file in Mosquitto's {@code mosquitto_passwd} format: one {@code username:hash} per
 * line, {@code #} comments and blank lines ignored. Problems name the line and the user, never the
 * hash.
 */
public final class PasswordFile {

    /** One malformed line. */
    public record Problem(int line, String message) {
    }

    /**
     * @param entries  hash by user name, in file order
     * @param problems malformed lines; the file is usable only without any
     */
    public record Parsed(Map<String, PasswordHash> entries, List<Problem> problems) {

        public Parsed {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
            problems = List.copyOf(problems);
        }
    }

    private PasswordFile() {
    }

    public static Parsed read(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    public static Parsed parse(List<String> lines) {
        Map<String, PasswordHash> entries = new LinkedHashMap<>();
        Map<String, Integer> firstLine = new HashMap<>();
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            int lineNumber = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                problems.add(new Problem(lineNumber, "expected username:hash (the line has no ':')"));
                continue;
            }
            String user = line.substring(0, colon);
            if (user.isEmpty()) {
                problems.add(new Problem(lineNumber, "the user name before ':' is empty"));
                continue;
            }
            var hash = PasswordHash.parse(line.substring(colon + 1));
            if (hash.isEmpty()) {
                problems.add(new Problem(lineNumber, "the hash of user '" + user + "' is not $7$<iterations>$<salt>$<hash>"
                        + " (PBKDF2-SHA512) or $6$<salt>$<hash> (SHA-512) as mosquitto_passwd and edgebridge passwd"
                        + " write it; plain-text passwords are not accepted"));
                continue;
            }
            Integer earlier = firstLine.putIfAbsent(user, lineNumber);
            if (earlier != null) {
                problems.add(new Problem(lineNumber, "user '" + user + "' is already defined on line " + earlier));
                continue;
            }
            entries.put(user, hash.get());
        }
        return new Parsed(entries, problems);
    }

    /** One line of the file for {@code user}. */
    public static String line(String user, PasswordHash hash) {
        return user + ":" + hash.format();
    }
}
