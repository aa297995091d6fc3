package io.edgebridge.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The placeholder names a template may use: the route's bindings plus built-ins.
 *
 * @param routeName      the route, for error messages
 * @param bindings       names bound by the route's source filter
 * @param payloadAllowed whether {@code <payload>} may be used (payload templates only)
 */
public record TemplateScope(String routeName, List<String> bindings, boolean payloadAllowed) {

    /** Names every template may use: the whole source topic, route name, sink name, receipt time (ms). */
    public static final Set<String> BUILT_INS = Set.of("topic", "route", "sink", "timestamp");

    public static final String PAYLOAD = "payload";

    public TemplateScope {
        bindings = List.copyOf(bindings);
    }

    public Set<String> names() {
        Set<String> all = new LinkedHashSet<>(bindings);
        all.addAll(BUILT_INS);
        if (payloadAllowed) {
            all.add(PAYLOAD);
        }
        return all;
    }

    public boolean allows(String name) {
        return bindings.contains(name) || BUILT_INS.contains(name) || (payloadAllowed && PAYLOAD.equals(name));
    }

    public TemplateScope forPayload() {
        return new TemplateScope(routeName, bindings, true);
    }
}
