package io.edgebridge.core.internal.runtime;

import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.Sink;
import io.edgebridge.core.internal.delivery.DownstreamRouter;
import io.edgebridge.core.internal.delivery.SinkPump;
import io.micrometer.core.instrument.Meter;
import java.util.ArrayList;
import java.util.List;

/** One running sink: the sink, its pump when it has upstream routes, its router when downstream. */
final class SinkRuntime {

    volatile SinkConfig config;
    final Sink sink;
    volatile SinkPump pump;
    DownstreamRouter router;
    final List<Meter> gauges = new ArrayList<>();
    final List<Meter> pumpGauges = new ArrayList<>();

    SinkRuntime(SinkConfig config, Sink sink) {
        this.config = config;
        this.sink = sink;
    }

    String name() {
        return config.name();
    }
}
