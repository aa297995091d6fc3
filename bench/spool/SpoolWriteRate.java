import io.edgebridge.config.SpoolConfig;
import io.edgebridge.core.internal.spool.Spool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Spool write rate: durable appends per second (each acknowledged only after its group commit's
 * fsync), with many appends outstanding (as with many devices) and with one at a time (one fsync per
 * message). Run with bench/spool/run.sh.
 */
public final class SpoolWriteRate {

    public static void main(String[] args) throws Exception {
        int messages = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        Path dir = Files.createTempDirectory(Path.of(args.length > 2 ? args[2] : "/tmp"), "spool-bench");
        byte[] payload = new byte[size];
        System.out.printf("spool write rate: %d messages of %d bytes, spool in %s%n", messages, size, dir);
        for (int outstanding : new int[] {1, 100, 1000}) {
            int n = outstanding == 1 ? Math.min(messages, 2000) : messages;
            SpoolConfig config = new SpoolConfig(dir.resolve("o" + outstanding), 8L << 30, Duration.ZERO,
                    SpoolConfig.WhenFull.DROP_OLDEST);
            try (Spool spool = Spool.open(config, System::currentTimeMillis)) {
                spool.openCursor("reader", spool.committed()); // nothing is reclaimed during the run
                Semaphore window = new Semaphore(outstanding);
                long start = System.nanoTime();
                CompletableFuture<Long> last = null;
                for (int i = 0; i < n; i++) {
                    window.acquire();
                    last = spool.append(System.currentTimeMillis(), 1, false, "sensors/dev" + (i % 100) + "/telemetry",
                            payload);
                    last.whenComplete((seq, error) -> window.release());
                }
                window.acquire(outstanding);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("  %5d outstanding: %,9.0f msg/s, %6.1f messages per fsync (%d commits in %.2f s)%n",
                        outstanding, n / seconds, (double) n / spool.commits(), spool.commits(), seconds);
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
