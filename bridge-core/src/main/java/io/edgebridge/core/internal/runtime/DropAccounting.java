package io.edgebridge.core.internal.runtime;

import io.edgebridge.core.internal.delivery.SinkPump;
import io.edgebridge.core.internal.spool.DropHandler;
import io.edgebridge.core.internal.spool.DropReason;
import io.edgebridge.core.internal.spool.Spool;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Counts what each sink loses when the spool drops entries (full, expired): runs on the spool
 * writer before the drop, moves every pump past the range and counts, per pump, the entries it was
 * never given. The spool's one caller into the pumps; the bridge is not in that path.
 */
final class DropAccounting implements DropHandler {

    private final Spool spool;
    private final Supplier<? extends Collection<SinkPump>> pumps;

    /** {@code pumps}: the pumps running now, read at every drop (a reload may replace them). */
    DropAccounting(Spool spool, Supplier<? extends Collection<SinkPump>> pumps) {
        this.spool = spool;
        this.pumps = pumps;
    }

    @Override
    public void beforeDrop(long from, long to, DropReason reason) {
        Map<SinkPump, SinkPump.Unsent> unsent = new LinkedHashMap<>();
        long min = to;
        for (SinkPump pump : pumps.get()) {
            SinkPump.Unsent lost = pump.claimDropped(to);
            long first = Math.max(lost.first(), from);
            if (first < to) {
                unsent.put(pump, lost);
                min = Math.min(min, first);
            }
        }
        if (unsent.isEmpty()) {
            return;
        }
        // The handler gets the range only: the topics (which routes lost what) are read back from it.
        spool.scan(min, to, entry -> {
            for (Map.Entry<SinkPump, SinkPump.Unsent> e : unsent.entrySet()) {
                if (e.getValue().contains(entry.seq())) {
                    e.getKey().countDropped(entry, reason);
                }
            }
        });
    }
}
