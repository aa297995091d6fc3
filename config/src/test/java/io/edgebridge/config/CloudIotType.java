package io.edgebridge.config;

import io.edgebridge.config.template.Template;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A stand-in for a cloud sink type ({@code cloud-iot}): its own option {@code endpoint}, its own
 * target keys {@code attributes} and {@code shadow}, $ topics and downstream routes. It records
 * each call the loader makes to it.
 */
final class CloudIotType implements SinkType {

    record Options(String sinkName, String endpoint) {
    }

    record TargetOptions(Map<String, Template> attributes, boolean shadow) {
    }

    /** The loader's calls, in order: "options SINK at KEYPATH" and "target KEYPATH of route ROUTE". */
    final List<String> calls = new ArrayList<>();

    @Override
    public String type() {
        return "cloud-iot";
    }

    @Override
    public Object parseOptions(String sinkName, ConfigMap options) {
        calls.add("options " + sinkName + " at " + options.keyPath());
        options.checkKeys(Set.of("endpoint"));
        return new Options(sinkName, options.requiredString("endpoint"));
    }

    @Override
    public Set<String> targetKeys() {
        return Set.of("attributes", "shadow");
    }

    @Override
    public Optional<Object> parseTargetOptions(ConfigMap target, TemplateScope scope) {
        calls.add("target " + target.keyPath() + " of route " + scope.routeName());
        target.checkKeys(targetKeys());
        return Optional.of(new TargetOptions(target.templates("attributes", scope), target.bool("shadow", false)));
    }

    @Override
    public boolean allowsDollarTopics() {
        return true;
    }

    @Override
    public boolean supportsDownstream() {
        return true;
    }
}
