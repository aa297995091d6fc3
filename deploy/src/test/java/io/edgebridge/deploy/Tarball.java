package io.edgebridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The packaged distribution tarball (failsafe passes its path after {@code package}). */
final class Tarball {

    private Tarball() {
    }

    static Path path() {
        String property = System.getProperty("edgebridge.tarball");
        assertThat(property).as("system property edgebridge.tarball (run through Maven's failsafe)").isNotBlank();
        Path tarball = Path.of(property);
        assertThat(tarball).as("the tarball is built by mvn package").isRegularFile();
        return tarball;
    }

    /** Unpacks the tarball into {@code dir}; returns its top directory, {@code edgebridge-<version>}. */
    static Path unpack(Path dir) throws Exception {
        Process tar = new ProcessBuilder("tar", "-xzf", path().toString(), "-C", dir.toString(), "--no-same-owner")
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(tar.exitValue()).as(output).isZero();
        Path top = dir.resolve("edgebridge-" + DeployFiles.version());
        try (var entries = Files.list(dir)) {
            assertThat(entries.toList()).as("one top directory").containsExactly(top);
        }
        return top;
    }

    /** The uid of this (test) process. */
    static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> list() throws Exception {
        Process tar = new ProcessBuilder("tar", "-tzvf", path().toString()).redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(tar.exitValue()).as(output).isZero();
        return output.lines().toList();
    }
}
