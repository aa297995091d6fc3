package io.edgebridge.config.internal;

/** What every reader of one load shares: where problems go and the substituted scalar values. */
public record ReadContext(Problems problems, ScalarValues values) {
}
