package io.edgebridge.core.internal.sink.file;

import io.edgebridge.core.api.DeliveryException;
import io.edgebridge.core.api.DeliveryException.Disposition;
import io.edgebridge.core.api.OutboundMessage;
import io.edgebridge.core.api.Sink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes JSON lines from one writer thread: whatever is queued is written together and, with
 * {@code fsync}, forced to disk once before the whole group is acknowledged. The file is rotated
 * when it reaches {@code maxFileSize}.
 */
final class FileSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(FileSink.class);
    private static final int MAX_BATCH = 1024;

    private final String name;
    private final FileSinkOptions options;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private FileChannel channel;
    private long size;
    private volatile boolean healthy = true;
    private volatile boolean closing;

    FileSink(String name, FileSinkOptions options) {
        this.name = name;
        this.options = options;
        this.writer = new Thread(this::run, "file-sink-" + name);
        this.writer.setDaemon(true);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletionStage<Void> start() {
        writer.start();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> send(OutboundMessage message) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closing) {
            done.completeExceptionally(new DeliveryException(Disposition.RETRY, "file sink is closing"));
            return done;
        }
        byte[] line;
        try {
            line = JsonLine.of(message);
        } catch (RuntimeException e) {
            done.completeExceptionally(new DeliveryException(Disposition.PERMANENT, "cannot encode: " + e.getMessage()));
            return done;
        }
        queue.add(new Pending(line, done));
        return done;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (!closing || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                write(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
        closeChannel();
        Pending left;
        while ((left = queue.poll()) != null) {
            left.done.completeExceptionally(new DeliveryException(Disposition.RETRY, "file sink closed"));
        }
    }

    private void write(List<Pending> batch) {
        try {
            for (Pending p : batch) {
                if (channel == null) {
                    open();
                }
                if (size > 0 && size + p.line.length > options.maxFileSize()) {
                    rotate();
                }
                ByteBuffer buf = ByteBuffer.wrap(p.line);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                size += p.line.length;
            }
            if (options.fsync()) {
                channel.force(false);
            }
        } catch (IOException e) {
            if (healthy) {
                log.atError().addKeyValue("sink", name).addKeyValue("path", options.path())
                        .log("cannot write: {}", e.toString());
            }
            healthy = false;
            closeChannel();
            DeliveryException failure = new DeliveryException(Disposition.RETRY,
                    "cannot write to " + options.path() + ": " + e.getMessage());
            for (Pending p : batch) {
                p.done.completeExceptionally(failure);
            }
            return;
        }
        if (!healthy) {
            log.atInfo().addKeyValue("sink", name).log("writing again");
            healthy = true;
        }
        for (Pending p : batch) {
            p.done.complete(null);
        }
    }

    private void open() throws IOException {
        Path path = options.path();
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        size = channel.size();
    }

    /** messages.jsonl -> messages.jsonl.1 -> .2 ...; the oldest beyond maxFiles is deleted. */
    private void rotate() throws IOException {
        if (options.fsync()) {
            channel.force(false);
        }
        closeChannel();
        Path path = options.path();
        int keep = options.maxFiles() - 1;
        if (keep == 0) {
            Files.deleteIfExists(path);
        } else {
            Files.deleteIfExists(rotated(path, keep));
            for (int i = keep - 1; i >= 1; i--) {
                Path from = rotated(path, i);
                if (Files.exists(from)) {
                    Files.move(from, rotated(path, i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(path, rotated(path, 1), StandardCopyOption.REPLACE_EXISTING);
        }
        open();
    }

    static Path rotated(Path path, int index) {
        return path.resolveSibling(path.getFileName() + "." + index);
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("closing {} failed: {}", options.path(), e.toString());
            }
            channel = null;
        }
    }

    @Override
    public boolean isConnected() {
        return healthy;
    }

    @Override
    public CompletionStage<Void> close() {
        closing = true;
        return CompletableFuture.runAsync(() -> {
            try {
                writer.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private record Pending(byte[] line, CompletableFuture<Void> done) {
    }
}
