package io.edgebridge.core.internal.reload;

import io.edgebridge.config.Location;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Names the keys in which two configuration values differ ({@code maxInFlight},
 * {@code options.endpoint.clientId}, {@code targets[0].topic}), looking into records and lists of
 * records and ignoring where a value is written ({@link Location}). Only names, never values: a
 * changed secret shows as its key.
 */
final class SettingsDiff {

    /** Deep enough for a sink's options (options → endpoint → tls → file); deeper, the parent is named. */
    private static final int MAX_DEPTH = 5;

    private SettingsDiff() {
    }

    /** The keys under {@code prefix} in which {@code a} and {@code b} differ; empty if they do not. */
    static List<String> keys(String prefix, Object a, Object b) {
        List<String> keys = new ArrayList<>();
        collect(prefix, a, b, 0, keys);
        return keys;
    }

    private static void collect(String key, Object a, Object b, int depth, List<String> keys) {
        if (Objects.equals(a, b) || a instanceof Location) {
            return;
        }
        if (depth < MAX_DEPTH && a != null && b != null && a.getClass() == b.getClass()) {
            if (a instanceof Record) {
                if (collectComponents(key, (Record) a, (Record) b, depth, keys)) {
                    return;
                }
            } else if (a instanceof List<?> la && b instanceof List<?> lb && la.size() == lb.size()) {
                for (int i = 0; i < la.size(); i++) {
                    collect(key + "[" + i + "]", la.get(i), lb.get(i), depth + 1, keys);
                }
                return;
            }
        }
        keys.add(key);
    }

    /** False when a component cannot be read (a record of a module that does not open it). */
    private static boolean collectComponents(String key, Record a, Record b, int depth, List<String> keys) {
        List<String> found = new ArrayList<>();
        try {
            for (RecordComponent component : a.getClass().getRecordComponents()) {
                var accessor = component.getAccessor();
                accessor.setAccessible(true); // sink options are package-private records of their modules
                String name = key.isEmpty() ? component.getName() : key + "." + component.getName();
                collect(name, accessor.invoke(a), accessor.invoke(b), depth + 1, found);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
        // Records equal but for their locations: nothing to name.
        keys.addAll(found);
        return true;
    }
}
