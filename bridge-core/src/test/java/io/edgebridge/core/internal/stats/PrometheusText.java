package io.edgebridge.core.internal.stats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: every line is a
 * {@code # HELP}, a {@code # TYPE} or a sample; names, label names, escapes and values must be
 * valid; every sample belongs to a family typed before it; no series appears twice; histogram
 * buckets are cumulative and end with {@code +Inf} equal to {@code _count}.
 */
public final class PrometheusText {

    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)\\})? (\\S+)( -?[0-9]+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
    private static final Pattern FLOAT = Pattern.compile("[+-]?(Inf|NaN|[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?|\\.[0-9]+([eE][+-]?[0-9]+)?)");

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, String> types = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusText() {
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} naming the first bad line. */
    public static PrometheusText parse(String text) {
        PrometheusText result = new PrometheusText();
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition does not end with a line break");
        }
        String[] lines = text.split("\n", -1);
        Set<String> helped = new HashSet<>();
        Set<String> series = new HashSet<>();
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            try {
                result.parseLine(line, helped, series);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage() + ": " + line, e);
            }
        }
        result.checkHistograms();
        return result;
    }

    private void parseLine(String line, Set<String> helped, Set<String> series) {
        if (line.startsWith("#")) {
            Matcher help = HELP.matcher(line);
            Matcher type = TYPE.matcher(line);
            if (help.matches()) {
                if (!helped.add(help.group(1))) {
                    throw new IllegalArgumentException("second HELP for " + help.group(1));
                }
                checkEscapes(help.group(2), false);
            } else if (type.matches()) {
                if (types.putIfAbsent(type.group(1), type.group(2)) != null) {
                    throw new IllegalArgumentException("second TYPE for " + type.group(1));
                }
            } else {
                throw new IllegalArgumentException("a comment that is neither HELP nor TYPE");
            }
            return;
        }
        Matcher m = SAMPLE.matcher(line);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a sample");
        }
        String name = m.group(1);
        Map<String, String> labels = labels(m.group(3) == null ? "" : m.group(3));
        if (!FLOAT.matcher(m.group(4)).matches()) {
            throw new IllegalArgumentException("not a number: " + m.group(4));
        }
        if (family(name) == null) {
            throw new IllegalArgumentException("sample of a family with no TYPE before it");
        }
        if (!series.add(name + labels)) {
            throw new IllegalArgumentException("series repeated");
        }
        samples.add(new Sample(name, labels, parseDouble(m.group(4))));
    }

    private static Map<String, String> labels(String text) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (text.isEmpty()) {
            return labels;
        }
        int pos = 0;
        Matcher m = LABEL.matcher(text);
        while (pos < text.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw new IllegalArgumentException("bad label at " + text.substring(pos));
            }
            if (labels.put(m.group(1), unescape(m.group(2))) != null) {
                throw new IllegalArgumentException("label repeated: " + m.group(1));
            }
            pos = m.end();
            if (pos < text.length()) {
                if (text.charAt(pos) != ',') {
                    throw new IllegalArgumentException("expected ',' between labels");
                }
                pos++;
            }
        }
        return labels;
    }

    private static void checkEscapes(String text, boolean quotes) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\\') {
                char next = i + 1 < text.length() ? text.charAt(i + 1) : ' ';
                if (next != '\\' && next != 'n' && !(quotes && next == '"')) {
                    throw new IllegalArgumentException("bad escape in " + text);
                }
                i++;
            }
        }
    }

    private static String unescape(String text) {
        return text.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
    }

    private static double parseDouble(String text) {
        return switch (text.replace("+", "")) {
            case "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }

    /** The typed family a sample name belongs to, or null. */
    private String family(String sample) {
        if (types.containsKey(sample)) {
            return sample;
        }
        for (String suffix : List.of("_bucket", "_sum", "_count", "_total", "_created")) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                String type = types.get(base);
                if (type != null && (type.equals("histogram") || type.equals("summary")
                        || (type.equals("counter") && (suffix.equals("_total") || suffix.equals("_created"))))) {
                    return base;
                }
            }
        }
        return null;
    }

    private void checkHistograms() {
        Map<String, List<Sample>> buckets = new HashMap<>();
        for (Sample s : samples) {
            if (s.name().endsWith("_bucket") && "histogram".equals(types.get(family(s.name())))) {
                Map<String, String> rest = new LinkedHashMap<>(s.labels());
                if (rest.remove("le") == null) {
                    throw new IllegalArgumentException(s.name() + " bucket without le");
                }
                buckets.computeIfAbsent(s.name() + rest, k -> new ArrayList<>()).add(s);
            }
        }
        for (Map.Entry<String, List<Sample>> e : buckets.entrySet()) {
            double previous = 0;
            double previousLe = Double.NEGATIVE_INFINITY;
            Sample last = null;
            for (Sample bucket : e.getValue()) {
                double le = parseDouble(bucket.labels().get("le"));
                if (le <= previousLe || bucket.value() < previous) {
                    throw new IllegalArgumentException("buckets not cumulative in " + e.getKey());
                }
                previousLe = le;
                previous = bucket.value();
                last = bucket;
            }
            if (last == null || last.labels().get("le").equals("+Inf") == false) {
                throw new IllegalArgumentException("no +Inf bucket in " + e.getKey());
            }
            Map<String, String> labels = new LinkedHashMap<>(last.labels());
            labels.remove("le");
            String count = last.name().replaceAll("_bucket$", "_count");
            double total = value(count, labels).orElseThrow(() -> new IllegalArgumentException("no " + count));
            if (total != last.value()) {
                throw new IllegalArgumentException(count + " differs from the +Inf bucket");
            }
        }
    }

    public Map<String, String> types() {
        return types;
    }

    public List<Sample> samples() {
        return samples;
    }

    /** The value of the series with exactly these labels. */
    public java.util.OptionalDouble value(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels))
                .mapToDouble(Sample::value).findFirst();
    }

    /** Every series named {@code name} having (at least) these labels. */
    public List<Sample> find(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .toList();
    }
}
