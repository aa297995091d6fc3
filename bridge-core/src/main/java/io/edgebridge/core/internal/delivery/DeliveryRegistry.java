package io.edgebridge.core.internal.delivery;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One sink's downstream deliveries in progress, found by message identity, and the identities of
 * messages whose delivery the sink gave up on (the cloud redelivers those), so that a redelivery is
 * told from a new message. Remembers at most {@value #REMEMBERED} given-up identities; one is forgotten
 * when its message was finally delivered (an MQTT session may then reuse it). Lasting identities of
 * delivered messages are remembered too (at most as many), so that a redelivery racing the ack is not
 * published twice. Thread-safe.
 */
final class DeliveryRegistry {

    static final int REMEMBERED = 10_000;

    private final Set<DownstreamDelivery> all = new LinkedHashSet<>();
    private final Map<String, DownstreamDelivery> byId = new HashMap<>();
    private final Map<String, Boolean> givenUp = remembered();
    /** Lasting identities ({@link io.edgebridge.core.api.InboundMessage#lastingId}) already published locally. */
    private final Map<String, Boolean> delivered = remembered();

    private static Map<String, Boolean> remembered() {
        return new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > REMEMBERED;
            }
        };
    }

    /** The delivery in progress of the message {@code id}, if any. */
    synchronized Optional<DownstreamDelivery> inProgress(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Whether a delivery of the message {@code id} was given up on before (this is a redelivery). */
    synchronized boolean givenUpBefore(String id) {
        return givenUp.containsKey(id);
    }

    /** Whether the message with lasting identity {@code id} was published locally already. */
    synchronized boolean deliveredBefore(String id) {
        return delivered.containsKey(id);
    }

    /** Remembers that the message with lasting identity {@code id} was published locally. */
    synchronized void deliveredLasting(String id) {
        delivered.put(id, Boolean.TRUE);
    }

    synchronized void add(DownstreamDelivery delivery) {
        all.add(delivery);
        delivery.id().ifPresent(id -> byId.put(id, delivery));
    }

    /** The delivery ended: delivered (its identity is forgotten) or abandoned (remembered). */
    synchronized void ended(DownstreamDelivery delivery, boolean delivered) {
        all.remove(delivery);
        delivery.id().ifPresent(id -> {
            byId.remove(id, delivery);
            if (delivered) {
                givenUp.remove(id);
            } else {
                givenUp.put(id, Boolean.TRUE);
            }
        });
    }

    /** Every delivery in progress. */
    synchronized List<DownstreamDelivery> inProgress() {
        return new ArrayList<>(all);
    }
}
