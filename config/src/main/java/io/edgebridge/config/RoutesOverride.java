package io.edgebridge.config;

/**
 * Routes that replace the {@code routes} of the configuration files, from a source other than the
 * files (an Azure module twin's desired properties). Read like a file's {@code routes} (a list of
 * routes, or a mapping from route name to route), but without {@code ${...}} substitution: text
 * from the cloud never reads the bridge's environment.
 *
 * @param sourceName what problems are reported against, e.g. {@code twin of sink hub (desired $version 7)}
 * @param text       a YAML (or JSON) document with the single key {@code routes}
 */
public record RoutesOverride(String sourceName, String text) {
}
