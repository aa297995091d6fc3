package io.edgebridge.config.internal;

import io.edgebridge.config.ConfigProblem;
import io.edgebridge.config.Location;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Collects the errors and warnings of one load, so that every problem is reported together. */
public final class Problems {

    private final Set<ConfigProblem> errors = new LinkedHashSet<>();
    private final Set<ConfigProblem> warnings = new LinkedHashSet<>();
    private final List<Optional<Path>> fileOrder = new ArrayList<>();

    /** Declares the files of this load in the order their problems are to be listed. */
    public void addFile(Optional<Path> file) {
        fileOrder.add(file);
    }

    /** Records an error; an identical error (same place, same text) is recorded once. */
    public void error(Location location, String message) {
        errors.add(new ConfigProblem(location, message));
    }

    public void warning(Location location, String message) {
        warnings.add(new ConfigProblem(location, message));
    }

    /** Where an earlier definition is: "line 4" within one file, "other.yaml:4:3" across files. */
    public static String firstAt(Location first, Location here) {
        return Objects.equals(first.file(), here.file()) ? "line " + first.line() : first.position();
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }

    public int errorCount() {
        return errors.size();
    }

    /** Errors in file order, then line and column. */
    public List<ConfigProblem> errors() {
        return sorted(errors);
    }

    public List<ConfigProblem> warnings() {
        return sorted(warnings);
    }

    private List<ConfigProblem> sorted(Set<ConfigProblem> problems) {
        List<ConfigProblem> list = new ArrayList<>(problems);
        list.sort(Comparator.<ConfigProblem>comparingInt(p -> fileOrder.indexOf(p.location().file()))
                .thenComparingInt(p -> p.location().line())
                .thenComparingInt(p -> p.location().column()));
        return list;
    }
}
