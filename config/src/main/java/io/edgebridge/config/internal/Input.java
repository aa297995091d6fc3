package io.edgebridge.config.internal;

import io.edgebridge.config.Location;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The raw text of one YAML input.
 *
 * @param source where it came from
 * @param bytes  the bytes as read (for the fingerprint)
 * @param text   the bytes decoded as UTF-8, or empty when they are not UTF-8
 */
public record Input(Source source, byte[] bytes, Optional<String> text) {

    /** A file, or every {@code *.yaml} / {@code *.yml} file directly in a directory, in name order. */
    public static List<Input> read(Path fileOrDirectory, Problems problems) {
        Location where = wholeOf(fileOrDirectory);
        if (!Files.exists(fileOrDirectory)) {
            problems.error(where, "config path does not exist");
            return List.of();
        }
        if (!Files.isDirectory(fileOrDirectory)) {
            return readFile(fileOrDirectory, problems).stream().toList();
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(fileOrDirectory)) {
            files = listing.filter(Input::isYamlFile)
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            problems.error(where, "cannot list the directory: " + reason(e));
            return List.of();
        }
        if (files.isEmpty()) {
            problems.error(where, "no .yaml or .yml files in " + fileOrDirectory);
        }
        List<Input> inputs = new ArrayList<>();
        files.forEach(f -> readFile(f, problems).ifPresent(inputs::add));
        return inputs;
    }

    /** Configuration text that did not come from a file. */
    public static Input text(String yaml, String sourceName) {
        return new Input(Source.text(sourceName), yaml.getBytes(StandardCharsets.UTF_8), Optional.of(yaml));
    }

    private static boolean isYamlFile(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return (name.endsWith(".yaml") || name.endsWith(".yml")) && Files.isRegularFile(p);
    }

    private static Optional<Input> readFile(Path file, Problems problems) {
        Source source = Source.of(file);
        problems.addFile(source.file());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            problems.error(source.whole(""), "cannot read the file: " + reason(e));
            return Optional.empty();
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            // A byte order mark some editors write is not part of the YAML.
            String withoutBom = text.startsWith("\uFEFF") ? text.substring(1) : text;
            return Optional.of(new Input(source, bytes, Optional.of(withoutBom)));
        } catch (CharacterCodingException e) {
            problems.error(source.whole(""), "the file is not UTF-8 text");
            return Optional.of(new Input(source, bytes, Optional.empty()));
        }
    }

    private static String reason(IOException e) {
        return e instanceof AccessDeniedException ? "permission denied" : e.getClass().getSimpleName();
    }

    /**
     * The first 12 hex digits of SHA-256 over each input's name, a NUL and its bytes: the same text
     * in the same files gives the same fingerprint on every machine.
     */
    public static String fingerprint(List<Input> inputs) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Input input : inputs) {
                sha.update(input.source().name().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(input.bytes());
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static Location wholeOf(Path path) {
        return new Location(Optional.of(path), 0, 0, "");
    }
}
