package io.edgebridge.core.internal;

import io.edgebridge.core.api.SinkFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** The sink types on the class path, found with {@link ServiceLoader}. */
public final class SinkFactories {

    private SinkFactories() {
    }

    public static List<SinkFactory> load() {
        Map<String, SinkFactory> byType = new LinkedHashMap<>();
        for (SinkFactory factory : ServiceLoader.load(SinkFactory.class)) {
            SinkFactory previous = byType.putIfAbsent(factory.type(), factory);
            if (previous != null && previous.getClass() != factory.getClass()) {
                throw new IllegalStateException("two sink factories claim type '" + factory.type() + "': "
                        + previous.getClass().getName() + " and " + factory.getClass().getName());
            }
        }
        return List.copyOf(byType.values());
    }
}
