package io.edgebridge.core.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.edgebridge.core.testing.AdminClient;
import io.edgebridge.core.testing.FaultRow;
import io.edgebridge.core.testing.LocalSetup;
import io.edgebridge.core.testing.LogCapture;
import io.edgebridge.core.testing.Mosquitto;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.Publisher;
import io.edgebridge.core.testing.Recorder;
import io.edgebridge.core.testing.TestBridge;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The spool on a real, small ext4 file system that fills up (issue 14, finding 3): devices publish
 * 1 KB messages at about 1,000/s with the cloud down; another file takes the last free block, so the
 * spool's writes get ENOSPC; the cloud comes back while the disk is still full; then the other file
 * is deleted. The spool must refuse while it cannot write (unready, one ERROR line, no count growing),
 * take messages again by itself within seconds of the space coming back, and lose nothing
 * acknowledged; a restart afterwards must not send delivered messages again. Run with the embedded
 * broker (devices are refused) and with Mosquitto as the local broker (it acknowledged them already;
 * the bridge keeps them unacknowledged and tries again). Before the fix, RocksDB's latched log
 * error made the spool refuse every message until a restart, while it stayed ready, logged thousands
 * of ERROR lines a second and counted every refused message as an entry.
 *
 * <p>Needs root, to loop-mount the file system (CI runs as root); without it the test is skipped, and
 * {@code SpoolWriteFailureTest} covers the same logic through a fault-injecting disk.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SpoolDiskFullFaultTest {

    private static final long FILE_SYSTEM_BYTES = 24L << 20;
    private static final int RATE_PER_10_MS = 10;
    private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(10);

    private static Path work;
    private static Path mount;
    private static boolean mounted;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @BeforeAll
    static void mountASmallFileSystem() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "loop-mounting ext4 needs Linux");
        assumeTrue(isRoot(), "loop-mounting a small ext4 file system needs root (CI runs as root);"
                + " SpoolWriteFailureTest covers the spool's recovery through a fault-injecting disk");
        assumeTrue(Files.isExecutable(Path.of("/sbin/mkfs.ext4")) || Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")),
                "mkfs.ext4 is not installed (package e2fsprogs)");
        work = Files.createTempDirectory("spool-disk-full");
        Path image = work.resolve("fs.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(FILE_SYSTEM_BYTES);
        }
        run("mkfs.ext4", "-q", "-F", image.toString());
        mount = Files.createDirectories(work.resolve("mnt"));
        run("mount", "-o", "loop", image.toString(), mount.toString());
        mounted = true;
    }

    @AfterAll
    static void unmountAndDelete() throws Exception {
        if (mounted && !tryRun("umount", mount.toString())) {
            run("umount", "-l", mount.toString()); // something still holds it: detach now, free when released
        }
        if (work != null) {
            deleteTree(work);
        }
    }

    private String config(LocalSetup.Instance local, int cloudPort) {
        return local.yaml() + """
                dataDir: %s
                stats: { logInterval: 0 }
                spool: { dir: %s, maxBytes: 8MB }
                sinks:
                  cloud:
                    type: mqtt
                    uri: mqtt://127.0.0.1:%d
                    reconnect: { min: 100ms, max: 500ms }
                    required: false
                routes:
                  - name: telemetry
                    from: sensors/<deviceId>/telemetry
                    sink: cloud
                    topic: cloud/<deviceId>/data
                """.formatted(dir.resolve("data"), spool(local), cloudPort);
    }

    /** On the small file system; one per run, deleted after it. */
    private Path spool(LocalSetup.Instance local) {
        return mount.resolve("spool-" + local.port());
    }

    private static String payload(int i) {
        return "m" + i + ":" + "x".repeat(1000);
    }

    /**
     * With the embedded broker the devices are refused (PUBACK 0x80) while the spool cannot write;
     * with an external broker, which has acknowledged them already, the bridge keeps each message
     * unacknowledged and appends it again until the spool can write.
     */
    @ParameterizedTest
    @EnumSource(value = LocalSetup.class, names = {"EMBEDDED_EXTENSION", "EXTERNAL_MOSQUITTO"})
    void aFullDisk_refusesUntilSpaceIsFreed_thenAcceptsByItself_andLosesNothing(LocalSetup setup) throws Exception {
        boolean embedded = setup == LocalSetup.EMBEDDED_EXTENSION;
        int cloudPort = Ports.free();
        Mosquitto cloud = new Mosquitto(dir.resolve("cloud"), cloudPort).start();
        new Recorder(cloudPort, "recorder", "cloud/#").close(); // its session queues what arrives while it is away
        cloud.stop();
        Path filler = mount.resolve("filler");
        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger sent = new AtomicInteger();
        var local = setup.start(dir);
        String yaml = config(local, cloudPort);
        try (local; cloud; var log = LogCapture.start()) {
            Set<String> acknowledged;
            long recoveryMillis;
            int errorLines;
            int faultLines;
            long delivered;
            long duplicates;
            long counted;
            try (var bridge = TestBridge.start(dir.resolve("bridge"), yaml);
                    // A device that reconnects: with the embedded broker, one whose publishes were already
                    // through to the spool (pipelined) when the disk filled is disconnected, not acknowledged.
                    var devices = Publisher.reconnecting(local.port(), 20)) {
                AdminClient admin = new AdminClient(bridge.adminPort());
                load.scheduleAtFixedRate(() -> {
                    for (int k = 0; k < RATE_PER_10_MS; k++) {
                        int i = sent.getAndIncrement();
                        devices.publish("sensors/dev" + (i % 10) + "/telemetry", payload(i)).exceptionally(e -> null);
                    }
                }, 0, 10, TimeUnit.MILLISECONDS);
                await().atMost(Duration.ofSeconds(10)).until(() -> devices.acked() >= 500);
                assertThat(admin.ready()).isEqualTo(200);
                log.clear();

                // The disk fills up: the spool gets ENOSPC, refuses, says so once, counts nothing it refused.
                fill(filler);
                // At once here; on the code before the fix, its 17 MB preallocated log took ~20 s to run out.
                await("the spool stops writing once the disk is full").atMost(Duration.ofSeconds(60))
                        .until(() -> bridge.bridge().spool().writeFailures() > 0);
                if (embedded) {
                    await("refusals").atMost(Duration.ofSeconds(10)).until(() -> devices.failed() >= 200);
                }
                await("/health/ready 503 while the spool cannot write").atMost(Duration.ofSeconds(5))
                        .until(() -> admin.ready() == 503);
                JsonNode ready = admin.json("/health/ready");
                assertThat(ready.path("failed").toString()).contains("\"check\":\"spool\"").contains("cannot write to");
                assertThat(admin.get("/health/live").statusCode()).isEqualTo(200);
                JsonNode status = admin.json("/status").path("spool");
                assertThat(status.path("writable").asBoolean()).isFalse();
                assertThat(status.path("problem").asText()).contains("cannot write to " + spool(local));
                assertThat(gauge(bridge, "edgebridge.spool.writable")).isZero();
                assertThat(bridge.registry().get("edgebridge.spool.write.failures").functionCounter().count()).isPositive();
                int failedBefore = devices.failed();
                await("the disk stays full").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                        .until(() -> gauge(bridge, "edgebridge.spool.writable") == 0);
                assertThat(devices.failed()).isGreaterThan(embedded ? failedBefore + 500 : -1);
                // Entries are what was accepted (plus at most a window whose fsync failed), not every refusal.
                assertThat(gauge(bridge, "edgebridge.spool.entries")).isLessThanOrEqualTo(devices.acked() + 20);

                // The cloud comes back while the disk is still full: the backlog is delivered meanwhile,
                // and the cursor moves that cannot be saved now are saved later.
                cloud.start();
                try (var recorder = new Recorder(cloudPort, "recorder", "cloud/#")) {
                    await("the backlog delivered while the disk is full").atMost(Duration.ofSeconds(30))
                            .until(() -> bridge.bridge().pumps().get("cloud").backlog() == 0
                                    && bridge.bridge().pumps().get("cloud").inFlight() == 0);
                    if (embedded) {
                        List<String> ackedSoFar = List.copyOf(devices.ackedPayloads());
                        await("what was acknowledged before the disk filled, delivered").atMost(Duration.ofSeconds(10))
                                .until(() -> recorder.missing(ackedSoFar).size() <= dropped(bridge));
                    }

                    // Space comes back: accepted again within seconds, without a restart.
                    int ackedBeforeFree = devices.acked();
                    long storedBeforeFree = bridge.bridge().spool().committed();
                    long freedAt = System.nanoTime();
                    Files.delete(filler);
                    await("a message stored after freeing space").atMost(RECOVERY_LIMIT)
                            .until(() -> bridge.bridge().spool().committed() > storedBeforeFree);
                    if (embedded) {
                        await("a publish acknowledged after freeing space").atMost(RECOVERY_LIMIT)
                                .until(() -> devices.acked() > ackedBeforeFree);
                    }
                    await("/health/ready 200 again").atMost(RECOVERY_LIMIT).until(() -> admin.ready() == 200);
                    recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - freedAt);
                    assertThat(gauge(bridge, "edgebridge.spool.writable")).isEqualTo(1);
                    long storedAfterRecovery = bridge.bridge().spool().committed();
                    await("messages flowing again").atMost(Duration.ofSeconds(10))
                            .until(() -> bridge.bridge().spool().committed() >= storedAfterRecovery + 500);

                    load.shutdown();
                    assertThat(load.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
                    devices.drain(30, TimeUnit.SECONDS);
                    acknowledged = devices.ackedPayloads();
                    await("every acknowledged message delivered").atMost(Duration.ofSeconds(30))
                            .until(() -> recorder.missing(List.copyOf(acknowledged)).size() <= dropped(bridge));
                    counted = dropped(bridge);
                    // Every entry delivered is reclaimed: the count went back to what is stored.
                    await().atMost(Duration.ofSeconds(10)).until(() -> gauge(bridge, "edgebridge.spool.entries") == 0);
                    errorLines = (int) log.count(e -> e.getLevel() == Level.ERROR);
                    faultLines = log.count();
                    delivered = acknowledged.stream().filter(recorder::received).count();
                    duplicates = recorder.duplicates();
                    System.out.printf("[disk-full %s] sent %d, acknowledged %d, refused %d, recovered %d ms after freeing,"
                            + " %d WARN/ERROR lines (%d ERROR): %s%n", setup, sent.get(), acknowledged.size(), devices.failed(),
                            recoveryMillis, faultLines, errorLines, log.lines());
                }
            }

            // A restart must not send again what was delivered (the cursor moves made while the disk
            // was full were saved once it could write).
            try (var recorder = new Recorder(cloudPort, "recorder", "cloud/#")) {
                long before = recorder.total();
                try (var bridge = TestBridge.start(dir.resolve("bridge"), yaml)) {
                    await().atMost(Duration.ofSeconds(10)).until(() -> bridge.bridge().sinksConnected());
                    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                            .until(() -> recorder.total() == before);
                    assertThat(bridge.bridge().spool().entryCount()).isZero();
                }
            }

            FaultRow row = new FaultRow("disk full (ENOSPC on the spool's file system), cloud back, space freed",
                    embedded ? "embedded/extension" : "mosquitto", "mqtt", acknowledged.size(), delivered,
                    counted, duplicates, Duration.ofMillis(recoveryMillis), faultLines).record();
            row.assertAccounted(50).assertLogLinesAtMost(10);
            // One from the spool, one from the MQTT intake (external broker), one more if the fault
            // outlasted the 10 s interval of either.
            assertThat(errorLines).as("ERROR lines for the whole fault").isLessThanOrEqualTo(3);
            assertThat(recoveryMillis).isLessThanOrEqualTo(RECOVERY_LIMIT.toMillis());
        } finally {
            load.shutdownNow();
            Files.deleteIfExists(filler);
            deleteTree(spool(local));
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Messages the spool dropped to stay within maxBytes (none in this test when the fix is in). */
    private static long dropped(TestBridge bridge) {
        return (long) bridge.count("edgebridge.messages.dropped", "reason", "spool-full");
    }

    private static double gauge(TestBridge bridge, String name) {
        return bridge.registry().get(name).gauge().value();
    }

    /** Writes {@code file} until the file system has no block left. */
    private static void fill(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (int chunk : new int[] {1 << 20, 4096}) {
                ByteBuffer buffer = ByteBuffer.allocate(chunk);
                try {
                    for (int i = 0; i < (int) (FILE_SYSTEM_BYTES / chunk) + 1; i++) {
                        buffer.clear();
                        channel.write(buffer);
                    }
                } catch (IOException e) {
                    if (!String.valueOf(e.getMessage()).contains("No space left")) {
                        throw e;
                    }
                }
            }
        }
    }

    private static boolean isRoot() throws IOException {
        return Files.exists(Path.of("/proc/self")) && ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        if (!tryRun(command)) {
            throw new IllegalStateException("failed: " + String.join(" ", command));
        }
    }

    private static boolean tryRun(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return false;
        }
        if (process.exitValue() != 0) {
            System.err.printf("%s: exit %d: %s%n", String.join(" ", command), process.exitValue(), output);
            return false;
        }
        return true;
    }
}
