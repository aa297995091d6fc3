package io.edgebridge.core.internal.delivery;

/**
 * The pump's thread as the pump's parts ({@link FailurePolicy}, {@link RateLimitedLanes}) see it: where
 * their callbacks run and what they hand back to the pump. A separate type so that {@link SinkPump}'s
 * public methods stay the ones its callers use.
 */
interface PumpThread {

    /** Runs {@code task} on the pump thread, after whatever it is doing; once stopped it is dropped. */
    void execute(Runnable task);

    /** The pump is stopping: nothing is sent or scheduled again (the messages stay in the spool). */
    boolean stopping();

    /** Sends now; the result comes back on the pump thread. */
    void send(SinkPump.Send send);

    /** Something open came back: a stopping pump is drained once nothing is open. */
    void checkDrained();
}
