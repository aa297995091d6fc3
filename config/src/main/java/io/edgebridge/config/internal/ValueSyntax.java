package io.edgebridge.config.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text forms of config values: durations ({@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h},
 * {@code 7d}, {@code 0}), byte sizes ({@code 512}, {@code 64KB}, {@code 1.5GB}, 1024-based),
 * booleans, whole numbers and decimals, and their human-readable forms for messages.
 */
public final class ValueSyntax {

    public static final String DURATION_EXAMPLES = "a duration like 500ms, 10s, 5m, 2h or 7d";
    public static final String SIZE_EXAMPLES = "a size like 512, 64KB, 100MB or 2GB";

    /** Larger than any sensible maximum; returned for values too large to represent. */
    static final Duration HUGE_DURATION = Duration.ofSeconds(Long.MAX_VALUE);

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]*)");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)");
    private static final long KIB = 1024;
    private static final Map<String, Long> SIZE_UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("kb", KIB), Map.entry("kib", KIB),
            Map.entry("mb", KIB * KIB), Map.entry("mib", KIB * KIB),
            Map.entry("gb", KIB * KIB * KIB), Map.entry("gib", KIB * KIB * KIB),
            Map.entry("tb", KIB * KIB * KIB * KIB), Map.entry("tib", KIB * KIB * KIB * KIB));
    private static final String[] SIZE_NAMES = {"TB", "GB", "MB", "KB"};
    private static final long[] SIZE_FACTORS = {KIB * KIB * KIB * KIB, KIB * KIB * KIB, KIB * KIB, KIB};

    private ValueSyntax() {
    }

    /** A duration, or empty when the text is not one; values too large give {@link #HUGE_DURATION}. */
    public static Optional<Duration> duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            long amount = Long.parseLong(m.group(1));
            return Optional.of(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofSeconds(Math.multiplyExact(amount, 60L));
                case "h" -> Duration.ofSeconds(Math.multiplyExact(amount, 3600L));
                default -> Duration.ofSeconds(Math.multiplyExact(amount, 86_400L));
            });
        } catch (ArithmeticException | NumberFormatException e) {
            return Optional.of(HUGE_DURATION);
        }
    }

    /** A byte count, or empty when the text is not a size; values too large give Long.MAX_VALUE. */
    public static OptionalLong byteSize(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches() || !SIZE_UNITS.containsKey(m.group(2))) {
            return OptionalLong.empty();
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(SIZE_UNITS.get(m.group(2))));
        BigInteger whole = bytes.setScale(0, RoundingMode.HALF_UP).toBigInteger();
        return OptionalLong.of(whole.bitLength() < Long.SIZE ? whole.longValueExact() : Long.MAX_VALUE);
    }

    /** {@code true} or {@code false} in any case; anything else (including yes/no/on/off) is empty. */
    public static Optional<Boolean> bool(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true")) {
            return Optional.of(Boolean.TRUE);
        }
        if (t.equals("false")) {
            return Optional.of(Boolean.FALSE);
        }
        return Optional.empty();
    }

    /** A decimal whole number; empty when the text is not one. */
    public static Optional<BigInteger> integer(String text) {
        String t = text.trim();
        return INTEGER.matcher(t).matches() ? Optional.of(new BigInteger(t)) : Optional.empty();
    }

    public static Optional<Double> decimal(String text) {
        String t = text.trim();
        return DECIMAL.matcher(t).matches() ? Optional.of(Double.valueOf(t)) : Optional.empty();
    }

    /** A duration in the largest unit that expresses it exactly, e.g. {@code 7d}, {@code 90s}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        long ms = d.toMillis();
        if (d.getNano() % 1_000_000 != 0 || d.compareTo(Duration.ofMillis(Long.MAX_VALUE)) > 0) {
            return d.getSeconds() + "s";
        }
        if (ms % 86_400_000L == 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0) {
            return ms / 60_000L + "m";
        }
        if (ms % 1000L == 0) {
            return ms / 1000L + "s";
        }
        return ms + "ms";
    }

    /** A byte count in the largest 1024-based unit that expresses it exactly, e.g. {@code 64KB}. */
    public static String formatBytes(long bytes) {
        if (bytes != 0) {
            for (int i = 0; i < SIZE_FACTORS.length; i++) {
                if (bytes % SIZE_FACTORS[i] == 0) {
                    return bytes / SIZE_FACTORS[i] + SIZE_NAMES[i];
                }
            }
        }
        return bytes + "B";
    }

    /** A decimal without a useless ".0". */
    public static String format(double value) {
        boolean whole = value == Math.rint(value) && Math.abs(value) < 1e15;
        return whole ? Long.toString((long) value) : Double.toString(value);
    }
}
