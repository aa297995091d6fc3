package io.edgebridge.deploy;

import static io.edgebridge.deploy.DeployFiles.configArgument;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The distribution tarball run the way the image runs it: unpacked into a temporary root laid out as
 * the Dockerfile says (install dir, configuration, data volume, Java runtime made with the Dockerfile's
 * jlink module list), started with the Dockerfile's ENTRYPOINT and CMD as its non-root user, in its
 * WORKDIR, with its ENV. Only the ports change (free loopback ports instead of 0.0.0.0:1883/9090).
 */
@Timeout(300)
class DeployTarballIT {

    /** Docker's default time between SIGTERM and SIGKILL (docker stop without --stop-timeout). */
    private static final Duration DOCKER_DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int MESSAGES = 50;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    private final Dockerfile docker = Dockerfile.read();

    @Test
    void theTarball_runsAsTheImageWould_deliversMessages_andStopsCleanlyOnSigterm() throws Exception {
        Path root = Files.createDirectories(temp.resolve("root"));
        ImageRoot image = new ImageRoot(root, docker);
        image.installTarball(Tarball.path());
        image.installJavaRuntime();
        int mqttPort = Ports.free();
        int adminPort = Ports.free();
        image.installConfig(mqttPort, adminPort);
        image.prepareVolume();

        Path log = temp.resolve("edgebridge.log");
        List<String> command = new ArrayList<>(image.runAsImageUser());
        docker.entrypoint().forEach(a -> command.add(image.map(a)));
        docker.cmd().forEach(a -> command.add(image.map(a)));
        ProcessBuilder builder = new ProcessBuilder(command).directory(image.host(docker.workdir()).toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().putAll(image.environment());
        Process process = builder.start();
        try {
            AdminClient admin = new AdminClient(adminPort);
            await("/health/ready (log: " + log + ")").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions().until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("exited with " + process.exitValue() + ":\n" + read(log));
                        }
                        return admin.ready() == 200;
                    });

            // The launcher exec'd the JVM (signals go straight to it) under the image's user.
            String status = Files.readString(Path.of("/proc", Long.toString(process.pid()), "status"));
            assertThat(Files.readString(Path.of("/proc", Long.toString(process.pid()), "comm")).strip())
                    .isEqualTo("java");
            assertThat(status).containsPattern("(?m)^Uid:\\s+" + image.expectedUid() + "\\s");

            // The image's HEALTHCHECK, pointed at the test's admin port.
            assertThat(image.healthCheck(adminPort)).isZero();

            try (Publisher publisher = new Publisher(mqttPort, 10)) {
                for (int i = 0; i < MESSAGES; i++) {
                    publisher.publish("sensors/dev" + (i % 5) + "/temp", "{\"n\":" + i + "}");
                }
                publisher.drain(30, TimeUnit.SECONDS);
                assertThat(publisher.acked()).isEqualTo(MESSAGES);
            }
            Path out = image.fileSinkPath();
            await("messages in " + out).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Files.exists(out) && lines(out).size() >= MESSAGES);
            List<String> delivered = lines(out);
            assertThat(delivered).hasSize(MESSAGES);
            for (int i = 0; i < MESSAGES; i++) {
                assertThat(delivered.get(i)).contains("\"topic\":\"edge/dev" + (i % 5) + "/telemetry/temp\"");
            }
            assertThat(delivered).anyMatch(line -> line.contains("{\\\"n\\\":49}") || line.contains("{\"n\":49}"));

            // SIGTERM, as docker stop sends (STOPSIGNAL), and a clean exit before Docker would SIGKILL.
            assertThat(docker.stopSignal()).isEqualTo("SIGTERM");
            process.destroy();
            boolean exited = process.waitFor(DOCKER_DEFAULT_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(exited).as("exited within %s:\n%s", DOCKER_DEFAULT_STOP_TIMEOUT, read(log)).isTrue();
            assertThat(process.exitValue()).as(read(log)).isZero();
            assertThat(read(log)).contains("received SIGTERM").contains("EdgeBridge stopped")
                    .doesNotContain("Exception");

            // The state is on the volume, owned by the image's user; nothing was written elsewhere.
            Path data = image.host(docker.volumes().get(0));
            assertThat(data.resolve("spool")).isDirectory();
            assertThat(data.resolve("broker")).isDirectory();
            assertThat(Files.getAttribute(data.resolve("spool"), "unix:uid")).isEqualTo(image.expectedUid());
        } finally {
            // Also whatever the launcher left behind if it did not exec (the JVM as its child).
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A directory standing in for the image's file system: image paths map into it. */
    static final class ImageRoot {
        private final Path root;
        private final Dockerfile docker;
        private final List<String> mapped;
        private final boolean root_ = Tarball.currentUid() == 0;
        private Map<String, Object> config;

        ImageRoot(Path root, Dockerfile docker) {
            this.root = root;
            this.docker = docker;
            String configPath = configArgument(docker.cmd());
            this.mapped = List.of(DockerImage.installDir(docker), DockerImage.javaDir(docker),
                    DeployFiles.parent(configPath), docker.volumes().get(0), docker.workdir());
        }

        /** An image path as a host path under the root. */
        Path host(String imagePath) {
            return root.resolve(imagePath.substring(1));
        }

        /** Image paths under the image's own directories map into the root; anything else is left alone. */
        String map(String value) {
            for (String dir : mapped) {
                if (value.equals(dir) || value.startsWith(dir + "/")) {
                    return host(value).toString();
                }
            }
            return value;
        }

        int expectedUid() {
            return root_ ? DockerImage.UID : Tarball.currentUid();
        }

        /** The build stage unpacks the tarball without its top directory; COPY puts it at the install dir. */
        void installTarball(Path tarball) throws Exception {
            Path install = Files.createDirectories(host(DockerImage.installDir(docker)));
            run(List.of("tar", "-xzf", tarball.toString(), "-C", install.toString(), "--strip-components=1",
                    "--no-same-owner"));
            assertThat(install.resolve("bin/edgebridge")).isExecutable();
        }

        /** The Dockerfile's jlink, with its module list, from the JDK running the test. */
        void installJavaRuntime() throws Exception {
            Path jdk = Path.of(System.getProperty("java.home"));
            Path jlink = jdk.resolve("bin/jlink");
            assertThat(jdk.resolve("jmods")).as("the test makes the image's Java runtime with jlink from %s, "
                    + "which needs the JDK's jmods (Debian: openjdk-17-jdk-headless)", jdk).isDirectory();
            Path java = host(DockerImage.javaDir(docker));
            Files.createDirectories(java.getParent());
            run(List.of(jlink.toString(), "--add-modules", docker.globalArgs().get("JLINK_MODULES"), "--strip-debug",
                    "--no-man-pages", "--no-header-files", "--output", java.toString()));
        }

        /** The baked configuration (the COPY to CMD's --config), with free loopback ports. */
        @SuppressWarnings("unchecked")
        void installConfig(int mqttPort, int adminPort) throws IOException {
            String configPath = configArgument(docker.cmd());
            String yaml = DeployFiles.read(DeployFiles.REPO.resolve(DockerImage.BAKED_CONFIG_SOURCE));
            assertThat(docker.destinationOf(DockerImage.BAKED_CONFIG_SOURCE)).isEqualTo(configPath);
            config = (Map<String, Object>) mapValues(DeployFiles.yamlMap(yaml));
            Map<String, Object> embedded = (Map<String, Object>) ((Map<String, Object>) config.get("local"))
                    .get("embedded");
            embedded.put("address", "127.0.0.1");
            embedded.put("port", mqttPort);
            Map<String, Object> admin = (Map<String, Object>) config.get("admin");
            admin.put("address", "127.0.0.1");
            admin.put("port", adminPort);
            DumperOptions options = new DumperOptions();
            options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
            Path file = host(configPath);
            Files.createDirectories(file.getParent());
            Files.writeString(file, new Yaml(options).dump(config));
        }

        @SuppressWarnings("unchecked")
        private Object mapValues(Object node) {
            if (node instanceof Map<?, ?> m) {
                Map<String, Object> copy = new LinkedHashMap<>();
                ((Map<String, Object>) m).forEach((k, v) -> copy.put(k, mapValues(v)));
                return copy;
            }
            if (node instanceof List<?> l) {
                return l.stream().map(this::mapValues).toList();
            }
            return node instanceof String s ? map(s) : node;
        }

        @SuppressWarnings("unchecked")
        Path fileSinkPath() {
            Map<String, Object> sinks = (Map<String, Object>) config.get("sinks");
            return Path.of((String) ((Map<String, Object>) sinks.get("out")).get("path"));
        }

        /**
         * The Dockerfile's RUN makes the volume directory and gives it to the image's user; everything
         * else belongs to root and is read-only for that user.
         */
        void prepareVolume() throws Exception {
            Path data = Files.createDirectories(host(docker.volumes().get(0)));
            Files.createDirectories(host(docker.workdir()));
            try (Stream<Path> all = Files.walk(temp())) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    if (Files.isDirectory(p) && !Files.isSymbolicLink(p)) {
                        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                                p.startsWith(data) ? "rwxr-x---" : "rwxr-xr-x"));
                    }
                }
            }
            if (root_) {
                run(List.of("chown", "-R", DockerImage.UID + ":" + DockerImage.GID, data.toString()));
            }
        }

        private Path temp() {
            return root.getParent();
        }

        /** As root, drop to the image's user like USER does; otherwise the test already is non-root. */
        List<String> runAsImageUser() {
            if (!root_) {
                return List.of();
            }
            return List.of("setpriv", "--reuid=" + DockerImage.UID, "--regid=" + DockerImage.GID, "--clear-groups",
                    "--");
        }

        /** The Dockerfile's ENV, mapped into the root; JAVA_HOME is the jlink'ed runtime. */
        Map<String, String> environment() {
            Map<String, String> env = new LinkedHashMap<>();
            docker.env().forEach((k, v) -> {
                if (k.equals("PATH")) {
                    env.put(k, String.join(":", Stream.of(v.split(":")).map(this::map).toList()));
                } else {
                    env.put(k, map(v));
                }
            });
            env.put("HOME", host(docker.workdir()).toString());
            return env;
        }

        /** Runs the HEALTHCHECK command as the image's user; returns its exit code. */
        int healthCheck(int adminPort) throws Exception {
            List<String> command = new ArrayList<>(runAsImageUser());
            docker.healthCheck().command().forEach(a -> command.add(map(a)));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().putAll(environment());
            builder.environment().put("EDGEBRIDGE_HEALTH_URL", "http://127.0.0.1:" + adminPort + "/health/ready");
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(output).as("health check output").contains("ready");
            return process.exitValue();
        }

        private static void run(List<String> command) throws Exception {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
            assertThat(process.exitValue()).as("%s: %s", command, output).isZero();
        }
    }
}
