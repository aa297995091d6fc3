package io.edgebridge.core.cli;

import io.edgebridge.config.auth.PasswordFile;
import io.edgebridge.config.auth.PasswordHash;
import io.edgebridge.core.internal.local.auth.PasswordHashing;
import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code edgebridge passwd --file FILE USERNAME}: adds or updates a user of the embedded broker's
 * password file ({@code mosquitto_passwd} format, {@code $7$} hashes like {@code mosquitto_passwd}'s
 * default), or removes one with {@code --delete}. A running EdgeBridge picks the change up within
 * seconds.
 */
@Command(name = "passwd", description = "Add, update or delete a user in the embedded broker's password file.")
final class PasswdCommand implements Callable<Integer> {

    /** Where {@code --stdin} reads from; tests replace it. */
    static volatile InputStream stdin = System.in;

    @Option(names = "--file", required = true, paramLabel = "FILE", description = "The password file (created if missing).")
    Path file;

    @Option(names = "--stdin", description = "Read the password from the first line of standard input instead of the console.")
    boolean fromStdin;

    @Option(names = "--delete", description = "Remove the user.")
    boolean delete;

    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var err = spec.commandLine().getErr();
        if (username.isEmpty() || username.indexOf(':') >= 0 || username.chars().anyMatch(Character::isISOControl)
                || !username.equals(username.strip()) || username.startsWith("#")) {
            err.println("edgebridge passwd: a user name must not be empty, start with '#', contain ':' or control"
                    + " characters, or start or end with spaces");
            return 2;
        }
        List<String> lines = Files.exists(file) ? new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8))
                : new ArrayList<>();
        PasswordFile.Parsed parsed = PasswordFile.parse(lines);
        if (!parsed.problems().isEmpty()) {
            parsed.problems().forEach(p -> err.println(file + ":" + p.line() + ": " + p.message()));
            err.println("edgebridge passwd: not changing a file with malformed lines; fix them first");
            return 1;
        }
        int index = lineOf(lines, username);
        if (delete) {
            if (index < 0) {
                err.println("edgebridge passwd: user '" + username + "' is not in " + file);
                return 1;
            }
            lines.remove(index);
            write(lines);
            spec.commandLine().getOut().println("deleted user '" + username + "' from " + file);
            return 0;
        }
        byte[] password = fromStdin ? readStdin() : readConsole();
        if (password == null) {
            return 1;
        }
        if (password.length == 0) {
            err.println("edgebridge passwd: the password must not be empty");
            return 1;
        }
        PasswordHash hash = PasswordHashing.create(password, new SecureRandom());
        Arrays.fill(password, (byte) 0);
        String line = PasswordFile.line(username, hash);
        if (index < 0) {
            lines.add(line);
        } else {
            lines.set(index, line);
        }
        write(lines);
        spec.commandLine().getOut().println((index < 0 ? "added" : "updated") + " user '" + username + "' in " + file);
        return 0;
    }

    private static int lineOf(List<String> lines, String user) {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.startsWith("#") && line.startsWith(user + ":")) {
                return i;
            }
        }
        return -1;
    }

    private byte[] readConsole() {
        Console console = System.console();
        if (console == null) {
            spec.commandLine().getErr().println("edgebridge passwd: no console to read the password from; use --stdin");
            return null;
        }
        char[] first = console.readPassword("Password: ");
        char[] second = console.readPassword("Reenter password: ");
        try {
            if (first == null || second == null || !Arrays.equals(first, second)) {
                spec.commandLine().getErr().println("edgebridge passwd: the passwords do not match");
                return null;
            }
            return new String(first).getBytes(StandardCharsets.UTF_8);
        } finally {
            if (first != null) {
                Arrays.fill(first, '\0');
            }
            if (second != null) {
                Arrays.fill(second, '\0');
            }
        }
    }

    /** The first line of standard input, without its line break. */
    private static byte[] readStdin() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = stdin.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return Arrays.copyOf(bytes, length);
    }

    /** Replaces the file in one step; a new file is readable by its owner only, an existing one keeps its mode. */
    private void write(List<String> lines) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path dir = absolute.getParent();
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        Path temp = posix
                ? Files.createTempFile(dir, ".passwd", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, ".passwd", ".tmp");
        try {
            Files.write(temp, lines, StandardCharsets.UTF_8);
            if (posix && Files.exists(absolute)) {
                Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(absolute));
            }
            Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
