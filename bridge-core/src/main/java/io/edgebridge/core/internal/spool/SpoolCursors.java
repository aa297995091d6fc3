package io.edgebridge.core.internal.spool;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The spool's named cursors (one per reading sink): where each is in memory, which moved or were
 * deleted since they were last written, and how that goes into a write batch. A batch that fails
 * to write is undone, so its moves and deletions go with the next write: a cursor
 * position is never lost to a failed write (which would mean sending delivered messages again after
 * a restart).
 *
 * <p>Readers move cursors from their own threads; the spool's writer writes them.
 */
final class SpoolCursors {

    private static final byte[] PREFIX = "cursor:".getBytes(StandardCharsets.UTF_8);

    private final Map<String, Cursor> open = new ConcurrentHashMap<>();
    private final Map<String, Long> stored;
    /** Deleted in memory, still to be deleted on disk. */
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();

    private SpoolCursors(Map<String, Long> stored) {
        this.stored = stored;
    }

    /** The cursors an earlier run stored. */
    static SpoolCursors load(RocksDB db, ColumnFamilyHandle meta) {
        Map<String, Long> loaded = new ConcurrentHashMap<>();
        try (RocksIterator it = db.newIterator(meta)) {
            for (it.seek(PREFIX); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (!startsWith(k, PREFIX)) {
                    break;
                }
                String name = new String(k, PREFIX.length, k.length - PREFIX.length, StandardCharsets.UTF_8);
                loaded.put(name, SpoolStore.seqOf(it.value()));
            }
        }
        return new SpoolCursors(loaded);
    }

    /** Every cursor: those opened since the spool was, and those an earlier run stored (until deleted). */
    Set<String> names() {
        Set<String> names = new HashSet<>(stored.keySet());
        names.addAll(open.keySet());
        return Set.copyOf(names);
    }

    /** Where the cursor is now: its open position (even if its reader stopped), else the stored one. */
    OptionalLong position(String name) {
        Cursor live = open.get(name);
        if (live != null) {
            return OptionalLong.of(live.position);
        }
        Long value = stored.get(name);
        return value == null ? OptionalLong.empty() : OptionalLong.of(value);
    }

    /** The highest stored position (1 if none): sequence numbers continue after it. */
    long maxStored() {
        long max = 1;
        for (long c : stored.values()) {
            max = Math.max(max, c);
        }
        return max;
    }

    void open(String name, long position) {
        Cursor cursor = new Cursor(Math.max(position, 0));
        deleted.remove(name);
        open.put(name, cursor);
        cursor.dirty = true;
    }

    void move(String name, long position) {
        Cursor cursor = open.get(name);
        if (cursor != null && position > cursor.position) {
            cursor.position = position;
            cursor.dirty = true;
        }
    }

    void delete(String name) {
        open.remove(name);
        stored.remove(name);
        deleted.add(name);
    }

    /**
     * The lowest position of any cursor, or {@code atMost} if that is lower. A cursor stored by an
     * earlier run counts until it is opened or deleted: its sink may just not be started yet.
     */
    long min(long atMost) {
        long min = atMost;
        // Stored ones first: a cursor opened meanwhile is then either counted here or seen below.
        for (Map.Entry<String, Long> e : stored.entrySet()) {
            if (!open.containsKey(e.getKey())) {
                min = Math.min(min, e.getValue());
            }
        }
        for (Cursor c : open.values()) {
            min = Math.min(min, c.position);
        }
        return min;
    }

    /** Moves every open cursor below {@code position} up to it (the entries below were dropped). */
    void raiseTo(long position) {
        for (Cursor c : open.values()) {
            if (c.position < position) {
                c.position = position;
                c.dirty = true;
            }
        }
    }

    /**
     * Adds the deletions and the moved cursors to {@code wb} and has {@code write} write it; if that
     * fails, they go with the next write.
     */
    void writeWith(WriteBatch wb, ColumnFamilyHandle meta, BatchWrite write) throws RocksDBException {
        Written written = addTo(wb, meta);
        try {
            write.write(wb);
        } catch (RocksDBException | RuntimeException e) {
            undo(written);
            throw e;
        }
    }

    /** Writes a batch (to the spool's database). */
    @FunctionalInterface
    interface BatchWrite {
        void write(WriteBatch wb) throws RocksDBException;
    }

    private Written addTo(WriteBatch wb, ColumnFamilyHandle meta) throws RocksDBException {
        List<String> deletes = new ArrayList<>();
        List<Cursor> moves = new ArrayList<>();
        Written written = new Written(deletes, moves);
        try {
            for (String name : deleted) {
                if (deleted.remove(name)) {
                    deletes.add(name);
                    wb.delete(meta, key(name));
                }
            }
            for (Map.Entry<String, Cursor> e : open.entrySet()) {
                Cursor c = e.getValue();
                if (c.dirty) {
                    c.dirty = false; // before reading the position: a move in between marks it again
                    moves.add(c);
                    wb.put(meta, key(e.getKey()), SpoolStore.key(c.position));
                }
            }
        } catch (RocksDBException | RuntimeException e) {
            undo(written);
            throw e;
        }
        return written;
    }

    /** The batch with {@code written} was not written: its moves and deletions go with the next one. */
    private void undo(Written written) {
        for (Cursor c : written.moves) {
            c.dirty = true;
        }
        for (String name : written.deletes) {
            if (!open.containsKey(name)) {
                deleted.add(name);
            }
        }
    }

    /** What one write batch holds of the cursors. */
    private record Written(List<String> deletes, List<Cursor> moves) {
    }

    private static byte[] key(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[PREFIX.length + n.length];
        System.arraycopy(PREFIX, 0, k, 0, PREFIX.length);
        System.arraycopy(n, 0, k, PREFIX.length, n.length);
        return k;
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        if (a.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (a[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static final class Cursor {
        volatile long position;
        volatile boolean dirty;

        Cursor(long position) {
            this.position = position;
        }
    }
}
