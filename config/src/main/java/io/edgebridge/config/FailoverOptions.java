package io.edgebridge.config;

import java.time.Duration;
import java.util.List;

/**
 * The options of a sink of {@code type: failover}: a group that sends to the first healthy of its
 * members. Built into the loader (it refers to other sinks), so no {@link SinkType} reads it.
 *
 * @param members                 the member sinks' names, in order of preference (at least two,
 *                                distinct, none of them a failover group)
 * @param switchAfterFailures     consecutive transient send failures on the active member that make
 *                                the group switch (default 3)
 * @param switchAfterDisconnected how long the active member may be disconnected before the group
 *                                switches (default 5s)
 * @param switchBackAfter         how long a member preferred to the active one must have been
 *                                connected, without interruption, before the group switches back to
 *                                it (default 30s)
 */
public record FailoverOptions(List<String> members, int switchAfterFailures, Duration switchAfterDisconnected,
        Duration switchBackAfter) {

    /** The value of {@code type:} that makes a sink a failover group. */
    public static final String TYPE = "failover";

    public FailoverOptions {
        members = List.copyOf(members);
    }
}
