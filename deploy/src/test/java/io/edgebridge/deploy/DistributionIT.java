package io.edgebridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** What the tarball holds, how its launcher finds and starts Java, and the systemd unit that runs it. */
@Timeout(120)
class DistributionIT {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    private Path home;

    @BeforeEach
    void unpack() throws Exception {
        home = Tarball.unpack(temp);
    }

    record Result(int code, String out) {
    }

    // ---------------------------------------------------------------- contents

    @Test
    void tarball_hasLauncherJarConfigExamplesLicencesUnitAndDocs() throws Exception {
        assertThat(home.resolve("bin/edgebridge")).isExecutable();
        assertThat(Files.getPosixFilePermissions(home.resolve("bin/edgebridge")))
                .isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(Tarball.list()).anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.endsWith("/bin/edgebridge"));
        assertThat(home.resolve("lib/edgebridge.jar")).isRegularFile();
        assertThat(Files.size(home.resolve("lib/edgebridge.jar")))
                .isEqualTo(Files.size(DeployFiles.REPO.resolve("deploy/target/edgebridge.jar")));
        assertThat(home.resolve("config/edgebridge.yaml")).hasSameTextualContentAs(DeployFiles.DIST_CONFIG);
        try (Stream<Path> examples = Files.walk(DeployFiles.REPO.resolve("config/examples"))) {
            for (Path example : examples.filter(Files::isRegularFile).toList()) {
                Path relative = DeployFiles.REPO.resolve("config/examples").relativize(example);
                assertThat(home.resolve("config/examples").resolve(relative)).hasSameTextualContentAs(example);
            }
        }
        assertThat(home.resolve("config/schema/edgebridge.schema.json")).isRegularFile();
        assertThat(home.resolve("systemd/edgebridge.service")).hasSameTextualContentAs(DeployFiles.SYSTEMD_UNIT);
        assertThat(home.resolve("mosquitto/edgebridge.conf")).hasSameTextualContentAs(DeployFiles.MOSQUITTO_CONF);
        assertThat(home.resolve("docs/OPERATIONS.md")).isRegularFile();
        assertThat(home.resolve("docs/CONFIG.md")).isRegularFile();
        assertThat(home.resolve("NOTICE.txt")).content().contains("THIRD-PARTY.txt");
        assertThat(home.resolve("licenses/LICENSE-Apache-2.0.txt")).content().contains("Apache License")
                .contains("Version 2.0, January 2004");
        // Generated from the dependencies' POMs: the big bundled components are listed with a licence.
        String thirdParty = Files.readString(home.resolve("THIRD-PARTY.txt"));
        assertThat(thirdParty).contains("com.hivemq:hivemq-community-edition-embedded", "software.amazon.awssdk.crt:aws-crt",
                "com.microsoft.azure.sdk.iot:iot-device-client", "org.rocksdb:rocksdbjni", "io.netty:netty-codec-mqtt",
                "org.bouncycastle:bcprov-jdk18on").doesNotContain("io.edgebridge:").doesNotContain("junit");
        assertThat(thirdParty.lines().filter(l -> l.contains("Unknown license"))).isEmpty();
    }

    // ---------------------------------------------------------------- launcher

    @Test
    void launcher_worksThroughASymlink_withTheJavaOnPath() throws Exception {
        Path bin = Files.createDirectories(temp.resolve("usr/local/bin"));
        Files.createSymbolicLink(bin.resolve("edgebridge"), bin.relativize(home.resolve("bin/edgebridge")));
        Path javaBin = Path.of(System.getProperty("java.home"), "bin");

        Result result = launch(bin.resolve("edgebridge"), Map.of("PATH", javaBin + ":/usr/bin:/bin"), "version");

        assertThat(result.code()).as(result.out()).isZero();
        assertThat(result.out()).startsWith("EdgeBridge " + DeployFiles.version() + " (Java ");
    }

    @Test
    void launcher_putsDefaultsThenJavaOptsThenEdgebridgeJavaOpts_andExecsTheJar() throws Exception {
        Path javaHome = fakeJava("17.0.9", null);

        Result run = launch(home.resolve("bin/edgebridge"), Map.of("JAVA_HOME", javaHome.toString(),
                "JAVA_OPTS", "-Xmx64m -Dglob=*", "EDGEBRIDGE_JAVA_OPTS", "-Xmx96m", "PATH", "/usr/bin:/bin"),
                "run", "--config", "/etc/edgebridge/edgebridge.yaml");
        Result health = launch(home.resolve("bin/edgebridge"), Map.of("JAVA_HOME", javaHome.toString(),
                "PATH", "/usr/bin:/bin"), "health");

        String jar = home.toRealPath().resolve("lib/edgebridge.jar").toString();
        assertThat(run.code()).as(run.out()).isZero();
        assertThat(run.out().lines().toList()).containsExactly("-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError",
                "-Xmx64m", "-Dglob=*", "-Xmx96m", "-jar", jar, "run", "--config", "/etc/edgebridge/edgebridge.yaml");
        assertThat(health.out().lines().toList()).containsExactly("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-XX:MaxRAMPercentage=25", "-jar", jar, "health");
    }

    @Test
    void launcher_refusesJavaOlderThan17_fromTheReleaseFile_orFromJavaVersion() throws Exception {
        Result fromRelease = launch(home.resolve("bin/edgebridge"), Map.of("JAVA_HOME", fakeJava("11.0.2", null)
                .toString(), "PATH", "/usr/bin:/bin"), "version");
        Path onPath = fakeJava(null, "openjdk version \"1.8.0_292\"");
        Result fromVersion = launch(home.resolve("bin/edgebridge"), Map.of("PATH", onPath.resolve("bin") + ":/usr/bin:/bin"),
                "version");
        Path newer = fakeJava(null, "openjdk version \"21.0.1\" 2023-10-17");
        Result accepted = launch(home.resolve("bin/edgebridge"), Map.of("PATH", newer.resolve("bin") + ":/usr/bin:/bin"),
                "version");

        assertThat(fromRelease.code()).isEqualTo(1);
        assertThat(fromRelease.out()).contains("EdgeBridge needs Java 17 or later").contains("is Java 11.0.2");
        assertThat(fromVersion.code()).isEqualTo(1);
        assertThat(fromVersion.out()).contains("EdgeBridge needs Java 17 or later").contains("is Java 1.8.0_292");
        assertThat(accepted.code()).as(accepted.out()).isZero();
        assertThat(accepted.out()).contains("-jar");
    }

    @Test
    void launcher_withoutAUsableJava_saysWhatToDo() throws Exception {
        Result badHome = launch(home.resolve("bin/edgebridge"), Map.of("JAVA_HOME", temp.resolve("nowhere").toString(),
                "PATH", "/usr/bin:/bin"), "version");
        // A PATH with the tools the launcher uses, but no java.
        Path tools = Files.createDirectories(temp.resolve("tools"));
        for (String tool : List.of("readlink", "sed")) {
            Path found = Stream.of("/usr/bin", "/bin").map(d -> Path.of(d, tool)).filter(Files::isExecutable)
                    .findFirst().orElseThrow();
            Files.createSymbolicLink(tools.resolve(tool), found);
        }
        Result noJava = launch(home.resolve("bin/edgebridge"), Map.of("PATH", tools.toString()), "version");

        assertThat(badHome.code()).isEqualTo(1);
        assertThat(badHome.out()).contains("JAVA_HOME is " + temp.resolve("nowhere") + ", but");
        assertThat(noJava.code()).isEqualTo(1);
        assertThat(noJava.out()).contains("no java on PATH: install Java 17 or later, or set JAVA_HOME");
    }

    /**
     * A stand-in Java runtime: bin/java prints its arguments one per line (or a -version answer), and a
     * release file when {@code releaseVersion} is given.
     */
    private Path fakeJava(String releaseVersion, String versionLine) throws IOException {
        Path javaHome = Files.createTempDirectory(temp, "fake-java");
        Path bin = Files.createDirectories(javaHome.resolve("bin"));
        String script = "#!/bin/sh\n"
                + (versionLine == null ? "" : "if [ \"$1\" = -version ]; then echo '" + versionLine + "' >&2; exit 0; fi\n")
                + "for a in \"$@\"; do printf '%s\\n' \"$a\"; done\n";
        Files.writeString(bin.resolve("java"), script);
        Files.setPosixFilePermissions(bin.resolve("java"), PosixFilePermissions.fromString("rwxr-xr-x"));
        if (releaseVersion != null) {
            Files.writeString(javaHome.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + releaseVersion
                    + "\"\nJAVA_RUNTIME_VERSION=\"" + releaseVersion + "+1\"\n");
        }
        return javaHome;
    }

    /** Runs the launcher with /bin/sh (dash on Debian: POSIX) and exactly this environment. */
    private static Result launch(Path launcher, Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/bin/sh", launcher.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), out);
    }

    // ---------------------------------------------------------------- systemd

    @Test
    void systemdUnit_pathsAgreeWithTheTarballLayoutAndTheImage() throws Exception {
        Map<String, List<String>> unit = systemdUnit(DeployFiles.SYSTEMD_UNIT);
        Dockerfile docker = Dockerfile.read();
        String install = DockerImage.installDir(docker);

        List<String> start = List.of(unit.get("ExecStart").get(0).split("\\s+"));
        assertThat(start.get(0)).as("ExecStart runs the tarball's launcher where the image installs it")
                .isEqualTo(install + "/bin/edgebridge");
        assertThat(home.resolve(start.get(0).substring(install.length() + 1))).isExecutable();
        assertThat(start.subList(1, start.size())).isEqualTo(docker.cmd());
        String configPath = DeployFiles.configArgument(start);
        List<String> check = List.of(unit.get("ExecStartPre").get(0).split("\\s+"));
        assertThat(check).containsExactly(start.get(0), "validate", "--config", configPath);

        // /etc/<ConfigurationDirectory> and /var/lib/<StateDirectory>: the image's directories.
        assertThat("/etc/" + unit.get("ConfigurationDirectory").get(0)).isEqualTo(DeployFiles.parent(configPath));
        String state = "/var/lib/" + unit.get("StateDirectory").get(0);
        assertThat(state).isEqualTo(docker.volumes().get(0));
        assertThat(unit.get("WorkingDirectory")).containsExactly(state);
        // The tarball's starting configuration keeps its data there.
        String dist = Files.readString(home.resolve("config/edgebridge.yaml"));
        assertThat(DeployFiles.load(dist, "config/edgebridge.yaml", Map.of()).dataDir().toString()).isEqualTo(state);
        assertThat(unit.get("Documentation").get(0)).isEqualTo("file:" + install + "/docs/OPERATIONS.md");
        assertThat(home.resolve("docs/OPERATIONS.md")).isRegularFile();

        assertThat(unit.get("User")).containsExactly("edgebridge");
        assertThat(unit.get("ExecReload")).containsExactly("/bin/kill -HUP $MAINPID");
        assertThat(unit.get("KillSignal")).containsExactly(docker.stopSignal());
        assertThat(unit.get("TimeoutStopSec")).containsExactly("30");
        assertThat(unit.get("Restart")).containsExactly("on-failure");
        // A configuration error (exit 2) is not fixed by restarting.
        assertThat(unit.get("RestartPreventExitStatus")).containsExactly("2");
        // The natives are unpacked to /tmp and the JIT needs writable+executable memory.
        assertThat(unit.get("PrivateTmp")).containsExactly("yes");
        assertThat(unit).doesNotContainKey("MemoryDenyWriteExecute").doesNotContainKey("NoExecPaths");
    }

    /**
     * systemd's own checker (keys, values, sections) finds nothing wrong with the unit, except that
     * the launcher is not installed on this machine (the test above shows the tarball has it).
     */
    @Test
    void systemdUnit_passesSystemdAnalyzeVerify() throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assertThat(analyze).as("systemd-analyze (Debian package systemd) checks the unit").isExecutable();
        Path unit = Files.copy(DeployFiles.SYSTEMD_UNIT, temp.resolve("edgebridge.service"));
        Process process = new ProcessBuilder(analyze.toString(), "verify", "--man=no", unit.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        List<String> problems = output.lines().filter(l -> !l.isBlank())
                .filter(l -> !l.endsWith("Command " + DockerImage.installDir(Dockerfile.read())
                        + "/bin/edgebridge is not executable: No such file or directory"))
                .toList();
        assertThat(problems).as(output).isEmpty();
    }

    /** Key -> values of a unit file (every section; repeated keys keep every value). */
    private static Map<String, List<String>> systemdUnit(Path file) throws IOException {
        Map<String, List<String>> unit = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";") || trimmed.startsWith("[")) {
                continue;
            }
            String[] kv = trimmed.split("=", 2);
            unit.computeIfAbsent(kv[0].strip(), k -> new ArrayList<>()).add(kv.length > 1 ? kv[1].strip() : "");
        }
        return unit;
    }
}
