package io.edgebridge.core.internal.sink.file;

import io.edgebridge.config.ConfigMap;
import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.api.SinkContext;
import io.edgebridge.core.api.SinkFactory;
import java.nio.file.Path;
import java.util.Set;

/** {@code type: file}: appends each message as one JSON line to a local file, with rotation. */
public final class FileSinkFactory implements SinkFactory {

    @Override
    public String type() {
        return "file";
    }

    @Override
    public Object parseOptions(String sinkName, ConfigMap options) {
        if (!options.has("path")) {
            options.problem("path", "missing required key 'path' (the JSON-lines file to write)");
        }
        Path path = options.path("path").orElse(Path.of("messages.jsonl"));
        long maxFileSize = options.byteSize("maxFileSize", 100L << 20, 1024, Long.MAX_VALUE);
        int maxFiles = options.integer("maxFiles", 5, 1, 1000);
        boolean fsync = options.bool("fsync", true);
        options.checkKeys(Set.of("path", "maxFileSize", "maxFiles", "fsync"));
        return new FileSinkOptions(path, maxFileSize, maxFiles, fsync);
    }

    @Override
    public Sink create(SinkConfig config, SinkContext context) throws Exception {
        return new FileSink(config.name(), config.options(FileSinkOptions.class));
    }
}
