package io.edgebridge.core.internal.health;

import io.edgebridge.config.ProbeConfig;
import io.edgebridge.core.api.Sink;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the monitor remembers about one sink between samples: since when it has had work, and its
 * probe. Guarded by the {@link HealthMonitor}'s lock.
 */
final class SinkWatch {

    final Sink sink;
    /** Since when the pump has had sends open or a backlog (epoch ms), 0 while idle. */
    long pumpWorkSince;
    long probeSentAt;
    long probeOkAt;
    /** The first probe not answered since the last success (epoch ms), 0 when none is pending. */
    long probePendingSince;
    /** The probe in flight, if any. */
    Probe inFlight;
    String lastProbeFailure;

    SinkWatch(Sink sink) {
        this.sink = sink;
    }

    /** One probe send; {@code settled} once counted as ok or failed. */
    static final class Probe {
        final long sentAt;
        boolean settled;

        Probe(long sentAt) {
            this.sentAt = sentAt;
        }
    }

    long lastSuccess(SinkSample sample) {
        return Math.max(sample.lastSendSuccess(), probeOkAt);
    }

    /** Updates the work tracking from {@code sample}; returns since when the sink has had work, 0 if idle. */
    long observe(SinkSample sample, long now) {
        boolean pumpWork = sample.inFlight() > 0 || sample.backlog() > 0;
        if (!pumpWork) {
            pumpWorkSince = 0;
        } else if (pumpWorkSince == 0) {
            pumpWorkSince = now;
        }
        if (probePendingSince != 0 && sample.lastSendSuccess() >= probePendingSince) {
            // A routed send succeeded after the probe went out: the sink is proven either way.
            probePendingSince = 0;
            lastProbeFailure = null;
        }
        if (pumpWorkSince == 0) {
            return probePendingSince;
        }
        return probePendingSince == 0 ? pumpWorkSince : Math.min(pumpWorkSince, probePendingSince);
    }

    Optional<SinkHealth.ProbeState> probeState(Optional<ProbeConfig> probe) {
        return probe.map(p -> new SinkHealth.ProbeState(p.topic(), p.interval().toMillis(), time(probeSentAt),
                time(probeOkAt), inFlight != null, Optional.ofNullable(lastProbeFailure)));
    }

    static OptionalLong time(long epochMillis) {
        return epochMillis == 0 ? OptionalLong.empty() : OptionalLong.of(epochMillis);
    }
}
