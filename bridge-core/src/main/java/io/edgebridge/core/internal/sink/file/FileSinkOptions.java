package io.edgebridge.core.internal.sink.file;

import java.nio.file.Path;

/**
 * Options of a {@code type: file} sink.
 *
 * @param path        the JSON-lines file; rotated files get {@code .1}, {@code .2}, ... (newest first)
 * @param maxFileSize size at which the file is rotated
 * @param maxFiles    how many files to keep, the current one included
 * @param fsync       whether a batch is acknowledged only after it reached the disk
 */
record FileSinkOptions(Path path, long maxFileSize, int maxFiles, boolean fsync) {
}
