package io.edgebridge.core.cli;

import java.io.InputStream;

/** Lets tests outside this package give {@code edgebridge passwd --stdin} its input. */
public final class PasswdCommandAccess {

    private PasswdCommandAccess() {
    }

    /** Sets what {@code --stdin} reads and returns the previous stream. */
    public static InputStream swapStdin(InputStream in) {
        InputStream previous = PasswdCommand.stdin;
        PasswdCommand.stdin = in;
        return previous;
    }
}
