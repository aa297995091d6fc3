package io.edgebridge.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a config value came from: file, 1-based line and column, and the key path inside the
 * document (for example {@code routes[2].to[0].topic}).
 *
 * @param file    the YAML file, or empty for values that did not come from a file (a module twin,
 *                built-in defaults)
 * @param line    1-based line, 0 when unknown
 * @param column  1-based column, 0 when unknown
 * @param keyPath dotted key path, empty for the document root
 */
public record Location(Optional<Path> file, int line, int column, String keyPath) {

    public static final Location UNKNOWN = new Location(Optional.empty(), 0, 0, "");

    public Location withKeyPath(String newKeyPath) {
        return new Location(file, line, column, newKeyPath);
    }

    /** {@code file:line:column}, as editors and terminals link it. */
    public String position() {
        String name = file.map(Path::toString).orElse("<config>");
        return line > 0 ? name + ":" + line + ":" + column : name;
    }

    @Override
    public String toString() {
        return keyPath.isEmpty() ? position() : position() + " " + keyPath;
    }
}
