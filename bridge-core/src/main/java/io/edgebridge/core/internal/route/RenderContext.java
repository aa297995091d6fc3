package io.edgebridge.core.internal.route;

/**
 * What templates may refer to for one message and one route: the source topic, the route's
 * bindings (in the filter's slot order), names, receipt time and payload.
 */
public record RenderContext(String sourceTopic, String[] bindings, String route, String sink, long receivedAt,
        byte[] payload) {
}
