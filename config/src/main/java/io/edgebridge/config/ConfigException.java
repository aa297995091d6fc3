package io.edgebridge.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration was rejected; {@link #problems()} holds every problem found, in file order. */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(summary(problems));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String summary(List<ConfigProblem> problems) {
        return problems.size() + (problems.size() == 1 ? " problem" : " problems") + " in the configuration:\n"
                + problems.stream().map(p -> "  " + p.format()).collect(Collectors.joining("\n"));
    }
}
