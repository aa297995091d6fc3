package io.edgebridge.config.internal;

import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Converts one scalar to a typed value, recording a problem at the scalar (and returning empty)
 * when it does not fit. Messages show the value only when it is not sensitive.
 */
final class ValueReader {

    /** Duration maxima at or above this read as "no upper limit" in messages. */
    private static final Duration NO_DURATION_LIMIT = Duration.ofDays(365_000);

    private final Problems problems;

    ValueReader(Problems problems) {
        this.problems = problems;
    }

    Optional<Integer> integer(Scalar s, int min, int max) {
        Optional<BigInteger> value = ValueSyntax.integer(s.text());
        if (value.isEmpty()) {
            return fail(s, "expected a whole number from " + min + " to " + max);
        }
        BigInteger v = value.get();
        if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
            return fail(s, "expected a number from " + min + " to " + max);
        }
        return Optional.of(v.intValueExact());
    }

    Optional<Long> byteSize(Scalar s, long min, long max) {
        OptionalLong value = ValueSyntax.byteSize(s.text());
        String range = max == Long.MAX_VALUE ? "of at least " + ValueSyntax.formatBytes(min)
                : "from " + ValueSyntax.formatBytes(min) + " to " + ValueSyntax.formatBytes(max);
        if (value.isEmpty()) {
            return fail(s, "expected " + ValueSyntax.SIZE_EXAMPLES + " (" + range + ")");
        }
        if (value.getAsLong() < min || value.getAsLong() > max) {
            return fail(s, "expected a size " + range);
        }
        return Optional.of(value.getAsLong());
    }

    Optional<Duration> duration(Scalar s, Duration min, Duration max) {
        Optional<Duration> value = ValueSyntax.duration(s.text());
        if (value.isEmpty()) {
            return fail(s, "expected " + ValueSyntax.DURATION_EXAMPLES);
        }
        Duration d = value.get();
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            String range = max.compareTo(NO_DURATION_LIMIT) >= 0 ? "of at least " + ValueSyntax.format(min)
                    : "from " + ValueSyntax.format(min) + " to " + ValueSyntax.format(max);
            return fail(s, "expected a duration " + range);
        }
        return value;
    }

    Optional<Double> decimal(Scalar s, double min, double max) {
        Optional<Double> value = ValueSyntax.decimal(s.text());
        if (value.isEmpty() || value.get() < min || value.get() > max) {
            return fail(s, "expected a number from " + ValueSyntax.format(min) + " to " + ValueSyntax.format(max));
        }
        return value;
    }

    Optional<Boolean> bool(Scalar s) {
        Optional<Boolean> value = ValueSyntax.bool(s.text());
        return value.isPresent() ? value : fail(s, "expected true or false");
    }

    <E extends Enum<E>> Optional<E> choice(Scalar s, Class<E> type) {
        String written = s.text().trim().toLowerCase(Locale.ROOT);
        List<String> names = new ArrayList<>();
        for (E constant : type.getEnumConstants()) {
            if (choiceName(constant).equals(written)) {
                return Optional.of(constant);
            }
            names.add(choiceName(constant));
        }
        String suggestion = s.sensitive() ? ""
                : Suggestions.closest(written, names).map(n -> " (did you mean " + n + "?)").orElse("");
        return fail(s, "expected one of: " + String.join(", ", names) + suggestion);
    }

    /** How an enum constant is written in config: lower case, '-' for '_'. */
    static String choiceName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    Optional<Path> path(Scalar s) {
        if (s.text().isBlank()) {
            problems.error(s.location(), "must not be empty");
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(s.text()));
        } catch (InvalidPathException e) {
            problems.error(s.location(), "expected a path; " + s.shown() + " is not a valid path");
            return Optional.empty();
        }
    }

    Optional<Path> existingFile(Scalar s) {
        return path(s).flatMap(p -> {
            Path absolute = p.toAbsolutePath();
            String file = s.sensitive() ? "the file named by " + s.shown() : "file " + s.shown();
            String relative = p.isAbsolute() ? "" : " (relative paths are resolved against the working directory "
                    + Path.of("").toAbsolutePath() + ")";
            if (!Files.exists(absolute)) {
                problems.error(s.location(), file + " does not exist" + relative);
                return Optional.empty();
            }
            if (!Files.isRegularFile(absolute)) {
                problems.error(s.location(), file + " is not a regular file");
                return Optional.empty();
            }
            if (!Files.isReadable(absolute)) {
                problems.error(s.location(), file + " is not readable by this process");
                return Optional.empty();
            }
            return Optional.of(absolute);
        });
    }

    Optional<URI> uri(Scalar s, Set<String> schemes) {
        UriSyntax.Result result = UriSyntax.check(s.text(), schemes);
        if (result.problem() != null) {
            String got = result.mayEcho() && !s.sensitive() ? "; got " + s.shown() : "";
            problems.error(s.location(), result.problem() + got);
            return Optional.empty();
        }
        return Optional.of(result.uri());
    }

    /** The template; unbound placeholders are problems unless {@code checkBindings} is false. */
    Template template(Scalar s, TemplateScope scope, boolean checkBindings) {
        Template template = Template.parse(s.text());
        if (checkBindings) {
            TemplateChecks.unbound(template, scope, s).forEach(m -> problems.error(s.location(), m));
        }
        return template;
    }

    private <T> Optional<T> fail(Scalar s, String expected) {
        problems.error(s.location(), expected + "; got " + s.shown());
        return Optional.empty();
    }
}
