package io.edgebridge.core.internal.health;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * One sink's health at one moment.
 *
 * @param name        the sink's name
 * @param type        the sink's type
 * @param required    whether readiness depends on it
 * @param connected   whether it reports a connection
 * @param ready       connected, without a problem the sink names, and not stalled
 * @param problem     why it is not ready
 * @param lastSuccess epoch ms of the last acknowledged send or probe
 * @param inFlight    sends open now
 * @param backlog     spool entries not yet done for this sink
 * @param probe       the probe's state, if the sink has one
 */
public record SinkHealth(String name, String type, boolean required, boolean connected, boolean ready,
        Optional<String> problem, OptionalLong lastSuccess, int inFlight, long backlog, Optional<ProbeState> probe) {

    /**
     * A sink's probe.
     *
     * @param topic         where probes go
     * @param intervalMillis how long without an acknowledged send before a probe is sent
     * @param lastSent      epoch ms of the last probe sent
     * @param lastOk        epoch ms of the last probe acknowledged
     * @param outstanding   whether a probe is waiting for its acknowledgement
     * @param lastFailure   why the last probe failed, if it did and none succeeded since
     */
    public record ProbeState(String topic, long intervalMillis, OptionalLong lastSent, OptionalLong lastOk,
            boolean outstanding, Optional<String> lastFailure) {
    }
}
