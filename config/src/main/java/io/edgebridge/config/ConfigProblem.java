package io.edgebridge.config;

/**
 * One thing wrong with a configuration, with where it is and what was expected. Messages never
 * contain secret values.
 */
public record ConfigProblem(Location location, String message) {

    /** {@code file:line:col: key.path: message} */
    public String format() {
        String path = location.keyPath();
        return location.position() + ": " + (path.isEmpty() ? "" : path + ": ") + message;
    }

    @Override
    public String toString() {
        return format();
    }
}
