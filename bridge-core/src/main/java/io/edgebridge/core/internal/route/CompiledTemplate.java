package io.edgebridge.core.internal.route;

import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A {@link Template} with every placeholder resolved to a binding slot or a built-in, so rendering
 * is a walk over arrays: no lookups, no parsing.
 */
public final class CompiledTemplate {

    private static final int LITERAL = 0;
    private static final int BINDING = 1;
    private static final int TOPIC = 2;
    private static final int ROUTE = 3;
    private static final int SINK = 4;
    private static final int TIMESTAMP = 5;
    private static final int PAYLOAD = 6;

    private final Template source;
    private final int[] kinds;
    private final String[] literals;
    private final byte[][] literalBytes;
    private final int[] slots;
    private final int estimatedLength;

    private CompiledTemplate(Template source, int[] kinds, String[] literals, int[] slots) {
        this.source = source;
        this.kinds = kinds;
        this.literals = literals;
        this.slots = slots;
        this.literalBytes = new byte[literals.length][];
        int estimate = 0;
        for (int i = 0; i < literals.length; i++) {
            if (literals[i] != null) {
                literalBytes[i] = literals[i].getBytes(StandardCharsets.UTF_8);
                estimate += literals[i].length();
            } else {
                estimate += 16;
            }
        }
        this.estimatedLength = estimate;
    }

    /**
     * Resolves {@code template} against the binding names of a route's filter. The config loader
     * has already checked that every name is bound or built-in.
     */
    public static CompiledTemplate compile(Template template, List<String> bindingNames) {
        List<Template.Part> parts = template.parts();
        int[] kinds = new int[parts.size()];
        String[] literals = new String[parts.size()];
        int[] slots = new int[parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            Template.Part part = parts.get(i);
            if (part instanceof Template.Literal lit) {
                kinds[i] = LITERAL;
                literals[i] = lit.text();
            } else {
                String name = ((Template.Placeholder) part).name();
                int slot = bindingNames.indexOf(name);
                if (slot >= 0) {
                    kinds[i] = BINDING;
                    slots[i] = slot;
                } else {
                    kinds[i] = switch (name) {
                        case "topic" -> TOPIC;
                        case "route" -> ROUTE;
                        case "sink" -> SINK;
                        case "timestamp" -> TIMESTAMP;
                        case TemplateScope.PAYLOAD -> PAYLOAD;
                        default -> throw new IllegalArgumentException("placeholder <" + name + "> in '"
                                + template.text() + "' is neither bound nor built in");
                    };
                }
            }
        }
        return new CompiledTemplate(template, kinds, literals, slots);
    }

    public Template source() {
        return source;
    }

    /** Binding slots this template reads (for checking untrusted values before use). */
    public int[] bindingSlots() {
        int n = 0;
        for (int kind : kinds) {
            if (kind == BINDING) {
                n++;
            }
        }
        int[] used = new int[n];
        n = 0;
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] == BINDING) {
                used[n++] = slots[i];
            }
        }
        return used;
    }

    /** Renders as text (topics, properties). {@code <payload>} is not allowed here. */
    public String render(RenderContext ctx) {
        if (kinds.length == 1 && kinds[0] == LITERAL) {
            return literals[0];
        }
        StringBuilder sb = new StringBuilder(estimatedLength + ctx.sourceTopic().length());
        for (int i = 0; i < kinds.length; i++) {
            switch (kinds[i]) {
                case LITERAL -> sb.append(literals[i]);
                case BINDING -> sb.append(ctx.bindings()[slots[i]]);
                case TOPIC -> sb.append(ctx.sourceTopic());
                case ROUTE -> sb.append(ctx.route());
                case SINK -> sb.append(ctx.sink());
                case TIMESTAMP -> sb.append(ctx.receivedAt());
                default -> sb.append(new String(ctx.payload(), StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    /**
     * Renders a payload template: {@code <payload>} inserts the original bytes untouched, every
     * other value is JSON-string-escaped (the template writes the quotes), so a device cannot
     * break out of a JSON string through its topic.
     */
    public byte[] renderPayload(RenderContext ctx) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(estimatedLength + ctx.payload().length + 32);
        for (int i = 0; i < kinds.length; i++) {
            switch (kinds[i]) {
                case LITERAL -> out.writeBytes(literalBytes[i]);
                case BINDING -> Json.writeEscaped(ctx.bindings()[slots[i]], out);
                case TOPIC -> Json.writeEscaped(ctx.sourceTopic(), out);
                case ROUTE -> Json.writeEscaped(ctx.route(), out);
                case SINK -> Json.writeEscaped(ctx.sink(), out);
                case TIMESTAMP -> out.writeBytes(Long.toString(ctx.receivedAt()).getBytes(StandardCharsets.US_ASCII));
                default -> out.writeBytes(ctx.payload());
            }
        }
        return out.toByteArray();
    }

    @Override
    public String toString() {
        return source.text();
    }
}
