package io.edgebridge.core.internal.spool;

/**
 * Told before the spool deletes undelivered entries, so the engine can move its readers past them
 * and count what each sink lost. Runs on the spool's writer thread; may call {@link Spool#scan}.
 */
@FunctionalInterface
public interface DropHandler {

    void beforeDrop(long fromSeq, long toSeq, DropReason reason);
}
