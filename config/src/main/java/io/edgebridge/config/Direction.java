package io.edgebridge.config;

import java.util.Locale;

/** Which way a route carries messages. */
public enum Direction {
    /** Local broker to a cloud sink. */
    UPSTREAM,
    /** A cloud sink to the local broker. */
    DOWNSTREAM;

    /** The lower-case name used in config, metrics tags and logs. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
