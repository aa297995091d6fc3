package io.edgebridge.config.internal;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/** "Did you mean ...?" for misspelled keys, names and choices. */
public final class Suggestions {

    private Suggestions() {
    }

    /**
     * The candidate closest to {@code written}: equal ignoring case, or within an edit distance of
     * max(2, length / 3) and sharing at least one character (so "x" does not suggest "#").
     */
    public static Optional<String> closest(String written, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : new TreeSet<>(candidates)) {
            if (candidate.equalsIgnoreCase(written)) {
                return Optional.of(candidate);
            }
            int distance = distance(written, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        int limit = Math.max(2, written.length() / 3);
        boolean related = best != null && bestDistance < Math.max(written.length(), best.length());
        return related && bestDistance <= limit ? Optional.of(best) : Optional.empty();
    }

    /** {@code " (did you mean 'x'?)"} or "". */
    public static String didYouMean(String written, Collection<String> candidates) {
        return closest(written, candidates).map(c -> " (did you mean '" + c + "'?)").orElse("");
    }

    /** The candidates sorted and comma-separated. */
    public static String list(Collection<String> candidates) {
        return String.join(", ", new TreeSet<>(candidates));
    }

    /** Levenshtein distance, ignoring case. */
    static int distance(String a, String b) {
        String x = a.toLowerCase(Locale.ROOT);
        String y = b.toLowerCase(Locale.ROOT);
        int[] previous = new int[y.length() + 1];
        int[] current = new int[y.length() + 1];
        for (int j = 0; j <= y.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= x.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= y.length(); j++) {
                int cost = x.charAt(i - 1) == y.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[y.length()];
    }
}
