package io.edgebridge.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Just enough of a Dockerfile reader for the deployment tests: line continuations, comments, global
 * {@code ARG}s and the instructions of each stage, with the exec (JSON) forms decoded. The tests read
 * the image layout from here instead of repeating it.
 */
final class Dockerfile {

    static final Path PATH = DeployFiles.REPO.resolve("deploy/docker/Dockerfile");
    private static final ObjectMapper JSON = new ObjectMapper();

    record Instruction(String keyword, String arguments) {
    }

    /** A {@code COPY [--from=stage] source... destination}. */
    record Copy(Optional<String> from, List<String> sources, String destination) {
    }

    /** {@code HEALTHCHECK [--option=value ...] CMD [...]}. */
    record HealthCheck(Map<String, String> options, List<String> command) {
    }

    private final Map<String, String> globalArgs = new LinkedHashMap<>();
    private final List<List<Instruction>> stages = new ArrayList<>();

    private Dockerfile(List<Instruction> instructions) {
        List<Instruction> current = null;
        for (Instruction instruction : instructions) {
            if (instruction.keyword().equals("FROM")) {
                current = new ArrayList<>();
                stages.add(current);
            }
            if (current == null) {
                if (instruction.keyword().equals("ARG")) {
                    String[] kv = instruction.arguments().split("=", 2);
                    globalArgs.put(kv[0].trim(), kv.length > 1 ? kv[1].trim() : "");
                }
                continue;
            }
            current.add(instruction);
        }
    }

    static Dockerfile read() {
        try {
            return parse(Files.readString(PATH));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Dockerfile parse(String text) {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder logical = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && logical.isEmpty())) {
                continue; // comments, also inside a continued instruction (as Docker does)
            }
            if (trimmed.endsWith("\\")) {
                logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            logical.append(trimmed);
            String full = logical.toString().strip();
            logical.setLength(0);
            if (full.isEmpty()) {
                continue;
            }
            String[] parts = full.split("\\s+", 2);
            instructions.add(new Instruction(parts[0].toUpperCase(), parts.length > 1 ? parts[1].strip() : ""));
        }
        return new Dockerfile(instructions);
    }

    Map<String, String> globalArgs() {
        return globalArgs;
    }

    /** The base image of the last stage (the runtime image). */
    String runtimeBase() {
        return runtime().get(0).arguments().split("\\s+")[0];
    }

    List<String> stageBases() {
        return stages.stream().map(s -> s.get(0).arguments().split("\\s+")[0]).toList();
    }

    List<Instruction> runtime() {
        return stages.get(stages.size() - 1);
    }

    private List<Instruction> all(String keyword) {
        return runtime().stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    private Instruction last(String keyword) {
        List<Instruction> found = all(keyword);
        if (found.isEmpty()) {
            throw new AssertionError("the runtime stage of " + PATH + " has no " + keyword);
        }
        return found.get(found.size() - 1);
    }

    List<String> entrypoint() {
        return json(last("ENTRYPOINT").arguments());
    }

    List<String> cmd() {
        return json(last("CMD").arguments());
    }

    String workdir() {
        return last("WORKDIR").arguments();
    }

    String user() {
        return last("USER").arguments();
    }

    String stopSignal() {
        return last("STOPSIGNAL").arguments();
    }

    List<Integer> exposedPorts() {
        return all("EXPOSE").stream().flatMap(i -> Arrays.stream(i.arguments().split("\\s+")))
                .map(p -> Integer.parseInt(p.replace("/tcp", ""))).toList();
    }

    List<String> volumes() {
        return all("VOLUME").stream().flatMap(i -> i.arguments().startsWith("[") ? json(i.arguments()).stream()
                : Arrays.stream(i.arguments().split("\\s+"))).toList();
    }

    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        for (Instruction i : all("ENV")) {
            for (String pair : i.arguments().split("\\s+")) {
                String[] kv = pair.split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return env;
    }

    List<Copy> copies() {
        List<Copy> copies = new ArrayList<>();
        for (Instruction i : all("COPY")) {
            List<String> words = new ArrayList<>(Arrays.asList(i.arguments().split("\\s+")));
            Optional<String> from = Optional.empty();
            while (words.get(0).startsWith("--")) {
                String flag = words.remove(0);
                if (flag.startsWith("--from=")) {
                    from = Optional.of(flag.substring("--from=".length()));
                }
            }
            String destination = words.remove(words.size() - 1);
            copies.add(new Copy(from, List.copyOf(words), destination));
        }
        return copies;
    }

    /** The destination of the one COPY of {@code source} (from the build context or a stage). */
    String destinationOf(String source) {
        List<String> found = copies().stream().filter(c -> c.sources().contains(source)).map(Copy::destination)
                .toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one COPY of " + source + " in " + PATH + ", found " + found);
        }
        return found.get(0);
    }

    HealthCheck healthCheck() {
        String rest = last("HEALTHCHECK").arguments();
        Map<String, String> options = new LinkedHashMap<>();
        while (rest.startsWith("--")) {
            String[] split = rest.split("\\s+", 2);
            String[] kv = split[0].substring(2).split("=", 2);
            options.put(kv[0], kv.length > 1 ? kv[1] : "");
            rest = split.length > 1 ? split[1] : "";
        }
        if (!rest.startsWith("CMD ")) {
            throw new AssertionError("HEALTHCHECK without CMD in " + PATH + ": " + rest);
        }
        return new HealthCheck(options, json(rest.substring(4).strip()));
    }

    /** The text of every RUN of every stage (to check what the build does). */
    String runs() {
        return stages.stream().flatMap(List::stream).filter(i -> i.keyword().equals("RUN"))
                .map(Instruction::arguments).collect(Collectors.joining("\n"));
    }

    private static List<String> json(String text) {
        if (!text.startsWith("[")) {
            throw new AssertionError("expected the exec (JSON) form in " + PATH + ", not the shell form: " + text);
        }
        try {
            return JSON.readValue(text, new TypeReference<List<String>>() { });
        } catch (IOException e) {
            throw new AssertionError("not a JSON list in " + PATH + ": " + text, e);
        }
    }
}
