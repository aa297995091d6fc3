package io.edgebridge.config.internal;

import io.edgebridge.config.Location;
import java.nio.file.Path;
import java.util.Optional;
import org.yaml.snakeyaml.error.Mark;

/**
 * One YAML input: a file, or text that did not come from a file.
 *
 * @param file the file, empty for text given directly
 * @param name the file name, or the name the caller gave the text (used in the fingerprint)
 */
public record Source(Optional<Path> file, String name) {

    public static Source of(Path file) {
        Path fileName = file.getFileName();
        return new Source(Optional.of(file), fileName == null ? file.toString() : fileName.toString());
    }

    public static Source text(String name) {
        return new Source(Optional.empty(), name);
    }

    public Location at(Mark mark, String keyPath) {
        return mark == null ? whole(keyPath) : new Location(file, mark.getLine() + 1, mark.getColumn() + 1, keyPath);
    }

    /** The whole input, without a line. */
    public Location whole(String keyPath) {
        return new Location(file, 0, 0, keyPath);
    }
}
