package io.edgebridge.core.internal.health;

import io.edgebridge.config.SinkConfig;
import io.edgebridge.core.api.Sink;

/**
 * What health checks read about one sink at one moment, taken from the bridge's current sinks and
 * pumps every time (a reload may replace them).
 *
 * @param config          the sink's configuration
 * @param sink            the running sink (probes are sent through it)
 * @param inFlight        sends open now (0 without a pump)
 * @param backlog         spool entries after the sink's cursor (0 without a pump)
 * @param lastSendSuccess epoch ms of the pump's last acknowledged send, 0 if none
 */
public record SinkSample(SinkConfig config, Sink sink, int inFlight, long backlog, long lastSendSuccess) {

    public String name() {
        return config.name();
    }
}
