package io.edgebridge.core.internal.stats;

import java.util.List;

/**
 * Every meter EdgeBridge registers: name, kind, unit, tags and meaning, declared once. Tags:
 * {@code direction} (upstream, downstream), {@code route}, {@code sink}, {@code reason},
 * {@code result}. {@code docs/METRICS.md} lists them as Prometheus shows them (a test keeps the two
 * in step).
 */
public enum BridgeMeter {

    RECEIVED("edgebridge.messages.received", Kind.COUNTER, "messages",
            "Messages accepted from their source: the local broker (upstream, counted once per matching route)"
                    + " or a sink's cloud side (downstream, each message once: redeliveries are counted as"
                    + " edgebridge.messages.redelivered)",
            "direction", "route"),
    REDELIVERED("edgebridge.messages.redelivered", Kind.COUNTER, "messages",
            "Downstream: deliveries of a cloud message the sink had handed over before (the cloud redelivered it"
                    + " after a timeout, nack or reconnect); joined to the delivery in progress or published anew",
            "direction", "route", "sink"),
    FORWARDED("edgebridge.messages.forwarded", Kind.COUNTER, "messages",
            "Messages the destination acknowledged: the cloud (upstream) or the local broker (downstream)",
            "direction", "route", "sink"),
    FORWARDED_BYTES("edgebridge.bytes.forwarded", Kind.COUNTER, "bytes",
            "Payload bytes of forwarded messages, as sent", "direction", "route", "sink"),
    FAILED("edgebridge.messages.failed", Kind.COUNTER, "messages",
            "Send attempts that failed; every retry counts. reason: retry, rejected, permanent",
            "direction", "route", "sink", "reason"),
    DROPPED("edgebridge.messages.dropped", Kind.COUNTER, "messages",
            "Messages given up on. reason: spool-full, expired, refused (refuse-new), overload (a QoS 0 message"
                    + " arriving while the spool's write queue is full), invalid-topic (a cloud value"
                    + " that is not a valid topic level, or a cloud message the sink could not give a topic; route '*'),"
                    + " sink-removed, undeliverable (the sink will never take it and the local broker refused its dead"
                    + " letter), local-broker (the embedded broker acknowledged it to the device, then discarded it"
                    + " before the bridge took it; route is '*' when not known); sink is '*' when no sink was chosen yet",
            "direction", "route", "sink", "reason"),
    DEAD_LETTERED("edgebridge.messages.deadlettered", Kind.COUNTER, "messages",
            "Messages published to the dead-letter topic. reason: rejected (after maxAttempts), permanent",
            "direction", "route", "sink", "reason"),
    LATENCY("edgebridge.delivery.latency", Kind.TIMER, "seconds",
            "Time from local receipt to the destination's acknowledgement, as a histogram (buckets 1 ms to 10 min)",
            "direction", "route", "sink"),
    LATENCY_PERCENTILE("edgebridge.delivery.latency.percentile.seconds", Kind.GAUGE, "seconds",
            "Client-side p50, p90 and p99 (quantile 0.5, 0.9, 0.99) of edgebridge.delivery.latency over the last"
                    + " ~2 minutes; not aggregable across series (use the histogram for that)",
            "direction", "route", "sink", "quantile"),
    IN_FLIGHT("edgebridge.sink.inflight", Kind.GAUGE, "messages",
            "Messages sent to the sink and not yet acknowledged", "sink"),
    BACKLOG("edgebridge.sink.backlog", Kind.GAUGE, "messages",
            "Spool entries after the sink's cursor (not yet delivered or skipped by this sink)", "sink"),
    CONNECTED("edgebridge.sink.connected", Kind.GAUGE, "boolean", "1 when the sink is connected", "sink"),
    PROBES("edgebridge.probes", Kind.COUNTER, "probes",
            "Probe messages sent to an idle sink (sinks.<name>.probe). result: ok (acknowledged), failed (refused,"
                    + " or not acknowledged in time)", "sink", "result"),
    FAILOVER_ACTIVE("edgebridge.failover.active", Kind.GAUGE, "boolean",
            "1 for the member a failover group sends to now, 0 for its other members", "sink", "member"),
    FAILOVER_SWITCHES("edgebridge.failover.switches", Kind.COUNTER, "switches",
            "Switches of a failover group from one member to another. reason: failures, disconnected, switch-back",
            "sink", "from", "to", "reason"),
    RATE_LIMITED("edgebridge.sink.ratelimited", Kind.COUNTER, "messages",
            "Sends held back by the sink's rateLimit: sent after the limit made the pump wait, until it caught up", "sink"),
    LOCAL_CONNECTED("edgebridge.local.connected", Kind.GAUGE, "boolean",
            "1 when the bridge's MQTT session on the local broker (embedded or external) is connected"),
    LOCAL_REFUSED("edgebridge.local.refused", Kind.COUNTER, "refusals",
            "What the embedded broker refused a client. action: connect, publish, subscribe; reason: bad-credentials"
                    + " (unknown user or wrong password), anonymous (no user name while allowAnonymous is false),"
                    + " bridge-client-id (the bridge's client id without its secret), client-id-not-username (a"
                    + " client id other than the user name while auth.clientIds is username), not-authorized"
                    + " (outside the client's permissions), intake-backlog (intake: mqtt; the publish waited 20 s for"
                    + " the bridge to take its backlog)",
            "action", "reason"),
    ADMIN_CLOSED("edgebridge.admin.closed", Kind.COUNTER, "connections",
            "Admin server connections it closed. reason: limit (at the 64-connection limit, the connection waiting"
                    + " longest for a request, to let a new one in), request-timeout (no complete request within 10 s"
                    + " of opening or of its first byte), not-reading (requests sent while 256 KB of answers wait"
                    + " unread)",
            "reason"),
    LOCAL_DROPPED("edgebridge.local.dropped", Kind.COUNTER, "messages",
            "Messages the embedded broker discarded from a device's session queue, as HiveMQ reports them (e.g."
                    + " downstream messages for a slow or offline subscriber beyond maxQueueSize). reason: queue-full,"
                    + " qos0-memory, not-writable, too-large, internal-error, other",
            "reason"),
    LOCAL_INTAKE_BACKLOG("edgebridge.local.intake.backlog", Kind.GAUGE, "messages",
            "intake: mqtt with the embedded broker: messages the broker acknowledged to devices and queued for the"
                    + " bridge, not yet spooled; devices' publishes wait while it is at its bound (20,000)"),
    LOCAL_BROKER_DROPPED("edgebridge.local.broker.dropped", Kind.GAUGE, "messages",
            "An external local broker's own count of messages it dropped (queue limits), for all its clients, as it"
                    + " reports it in $SYS (Mosquitto: $SYS/broker/publish/messages/dropped); NaN when it does not"),
    SPOOL_ENTRIES("edgebridge.spool.entries", Kind.GAUGE, "messages", "Entries stored in the spool"),
    SPOOL_BYTES("edgebridge.spool.bytes", Kind.GAUGE, "bytes", "Message bytes stored in the spool"),
    SPOOL_WRITABLE("edgebridge.spool.writable", Kind.GAUGE, "boolean",
            "1 while the spool can write; 0 from a failed write (disk full, I/O error) until a write works again,"
                    + " while new messages are refused"),
    SPOOL_WRITE_FAILURES("edgebridge.spool.write.failures", Kind.COUNTER, "failures",
            "Writes to the spool's database that failed (disk full, I/O error): message groups, fsyncs, cursor"
                    + " positions, deletions, and the retries while it cannot write");

    /** How the meter is registered. */
    public enum Kind { COUNTER, GAUGE, TIMER }

    private final String meterName;
    private final Kind kind;
    private final String unit;
    private final String description;
    private final List<String> tagKeys;

    BridgeMeter(String meterName, Kind kind, String unit, String description, String... tagKeys) {
        this.meterName = meterName;
        this.kind = kind;
        this.unit = unit;
        this.description = description;
        this.tagKeys = List.of(tagKeys);
    }

    public String meterName() {
        return meterName;
    }

    public Kind kind() {
        return kind;
    }

    /** What the meter counts or measures, for the docs: messages, bytes, seconds, boolean, ... */
    public String unit() {
        return unit;
    }

    /**
     * The unit registered with Micrometer, which Prometheus appends to a name that does not end
     * with it: only a name that already ends with its unit passes it on, so no name says its unit
     * twice ({@code edgebridge_spool_bytes}, not {@code edgebridge_bytes_forwarded_bytes_total}).
     */
    public String baseUnit() {
        return meterName.endsWith("." + unit) ? unit : null;
    }

    public String description() {
        return description;
    }

    public List<String> tagKeys() {
        return tagKeys;
    }
}
