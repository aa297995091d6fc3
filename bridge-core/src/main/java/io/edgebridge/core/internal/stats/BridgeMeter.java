package io.edgebridge.core.internal.stats;

import java.util.List;

/**
 * Every meter EdgeBridge registers: name, unit, tags and meaning, declared once. Tags:
 * {@code direction} (upstream, downstream), {@code route}, {@code sink}, {@code reason}.
 */
public enum BridgeMeter {

    RECEIVED("edgebridge.messages.received", "messages",
            "Messages accepted from their source: the local broker (upstream, counted once per matching route)"
                    + " or a sink's cloud side (downstream)",
            "direction", "route"),
    FORWARDED("edgebridge.messages.forwarded", "messages",
            "Messages the destination acknowledged: the cloud (upstream) or the local broker (downstream)",
            "direction", "route", "sink"),
    FORWARDED_BYTES("edgebridge.bytes.forwarded", "bytes",
            "Payload bytes of forwarded messages, as sent", "direction", "route", "sink"),
    FAILED("edgebridge.messages.failed", "messages",
            "Send attempts that failed; every retry counts. reason: retry, rejected, permanent",
            "direction", "route", "sink", "reason"),
    DROPPED("edgebridge.messages.dropped", "messages",
            "Messages given up on. reason: spool-full, expired, refused (refuse-new), overload (a QoS 0 message"
                    + " arriving while the spool's write queue is full), invalid-topic (a cloud value"
                    + " that is not a valid topic level), sink-removed; sink is '*' when no sink was chosen yet",
            "direction", "route", "sink", "reason"),
    DEAD_LETTERED("edgebridge.messages.deadlettered", "messages",
            "Messages published to the dead-letter topic. reason: rejected (after maxAttempts), permanent",
            "direction", "route", "sink", "reason"),
    LATENCY("edgebridge.delivery.latency", "seconds",
            "Time from local receipt to the destination's acknowledgement", "direction", "route", "sink"),
    IN_FLIGHT("edgebridge.sink.inflight", "messages",
            "Messages sent to the sink and not yet acknowledged", "sink"),
    BACKLOG("edgebridge.sink.backlog", "messages",
            "Spool entries after the sink's cursor (not yet delivered or skipped by this sink)", "sink"),
    CONNECTED("edgebridge.sink.connected", "boolean", "1 when the sink is connected", "sink"),
    FAILOVER_ACTIVE("edgebridge.failover.active", "boolean",
            "1 for the member a failover group sends to now, 0 for its other members", "sink", "member"),
    FAILOVER_SWITCHES("edgebridge.failover.switches", "switches",
            "Switches of a failover group from one member to another. reason: failures, disconnected, switch-back",
            "sink", "from", "to", "reason"),
    SPOOL_ENTRIES("edgebridge.spool.entries", "messages", "Entries stored in the spool"),
    SPOOL_BYTES("edgebridge.spool.bytes", "bytes", "Message bytes stored in the spool"),
    LOCAL_REFUSED("edgebridge.local.refused", "",
            "What the embedded broker refused a client. action: connect, publish, subscribe; reason: bad-credentials"
                    + " (unknown user or wrong password), anonymous (no user name while allowAnonymous is false),"
                    + " bridge-client-id (the bridge's client id without its secret), not-authorized (outside the"
                    + " client's permissions)",
            "action", "reason");

    private final String meterName;
    private final String unit;
    private final String description;
    private final List<String> tagKeys;

    BridgeMeter(String meterName, String unit, String description, String... tagKeys) {
        this.meterName = meterName;
        this.unit = unit;
        this.description = description;
        this.tagKeys = List.of(tagKeys);
    }

    public String meterName() {
        return meterName;
    }

    public String unit() {
        return unit;
    }

    public String description() {
        return description;
    }

    public List<String> tagKeys() {
        return tagKeys;
    }
}
