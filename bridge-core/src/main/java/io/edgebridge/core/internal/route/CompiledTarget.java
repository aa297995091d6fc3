package io.edgebridge.core.internal.route;

import io.edgebridge.config.Target;
import io.edgebridge.config.TargetTemplates;
import io.edgebridge.config.template.Template;
import io.edgebridge.core.api.OutboundMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One target of an upstream route, ready to render messages for its sink. */
public final class CompiledTarget {

    private final String route;
    private final String sink;
    private final CompiledTemplate topic;
    private final int qos;
    private final boolean retain;
    private final PayloadRenderer payload;
    private final String[] propertyNames;
    private final CompiledTemplate[] propertyValues;
    private final Optional<CompiledTemplate> contentType;
    private final Optional<Object> sinkOptions;
    private final String[] renderedNames;
    private final CompiledTemplate[] renderedValues;
    private final TargetMeters meters;

    CompiledTarget(String route, Target target, List<String> bindingNames, TargetMeters meters) {
        this.route = route;
        this.sink = target.sink();
        this.topic = CompiledTemplate.compile(target.topic(), bindingNames);
        this.qos = target.qos();
        this.retain = target.retain();
        this.payload = PayloadRenderer.of(target.payload(), bindingNames);
        this.propertyNames = target.properties().keySet().toArray(new String[0]);
        this.propertyValues = target.properties().values().stream()
                .map(t -> CompiledTemplate.compile(t, bindingNames))
                .toArray(CompiledTemplate[]::new);
        this.contentType = target.contentType().map(t -> CompiledTemplate.compile(t, bindingNames));
        this.sinkOptions = target.sinkOptions();
        Map<String, Template> own = target.sinkOptions()
                .filter(TargetTemplates.class::isInstance).map(o -> ((TargetTemplates) o).templates())
                .orElse(Map.of());
        this.renderedNames = own.keySet().toArray(new String[0]);
        this.renderedValues = own.values().stream()
                .map(t -> CompiledTemplate.compile(t, bindingNames))
                .toArray(CompiledTemplate[]::new);
        this.meters = meters;
    }

    public String route() {
        return route;
    }

    public String sink() {
        return sink;
    }

    public TargetMeters meters() {
        return meters;
    }

    public CompiledTemplate topic() {
        return topic;
    }

    /** Renders the message this target sends for one spooled message. */
    public OutboundMessage render(RenderContext ctx, long sequence) {
        Map<String, String> properties;
        if (propertyNames.length == 0) {
            properties = Map.of();
        } else {
            properties = new LinkedHashMap<>(propertyNames.length * 2);
            for (int i = 0; i < propertyNames.length; i++) {
                properties.put(propertyNames[i], propertyValues[i].render(ctx));
            }
        }
        Map<String, String> rendered;
        if (renderedNames.length == 0) {
            rendered = Map.of();
        } else {
            rendered = new LinkedHashMap<>(renderedNames.length * 2);
            for (int i = 0; i < renderedNames.length; i++) {
                rendered.put(renderedNames[i], renderedValues[i].render(ctx));
            }
        }
        return new OutboundMessage(route, topic.render(ctx), payload.render(ctx), qos, retain, properties,
                contentType.map(t -> t.render(ctx)), sinkOptions, ctx.sourceTopic(), ctx.receivedAt(), sequence,
                rendered);
    }
}
