package io.edgebridge.core.internal.route;

import com.fasterxml.jackson.core.JsonGenerator;
import io.edgebridge.config.Payload;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** Renders a target's payload: raw, envelope or template. */
public sealed interface PayloadRenderer {

    byte[] render(RenderContext ctx);

    static PayloadRenderer of(Payload payload, List<String> bindingNames) {
        return switch (payload.mode()) {
            case RAW -> Raw.INSTANCE;
            case ENVELOPE -> new Envelope(bindingNames.indexOf("deviceId"));
            case TEMPLATE -> new Templated(CompiledTemplate.compile(payload.template().orElseThrow(), bindingNames));
        };
    }

    /** The bytes as received. */
    enum Raw implements PayloadRenderer {
        INSTANCE;

        @Override
        public byte[] render(RenderContext ctx) {
            return ctx.payload();
        }
    }

    /**
     * {@code {"deviceId":..., "topic":..., "timestamp":..., "data":<json>}}, or
     * {@code "dataBase64"} when the payload is not one JSON value. {@code deviceId} appears when
     * the route binds {@code <deviceId>}; {@code timestamp} is the receipt time in epoch ms.
     */
    record Envelope(int deviceIdSlot) implements PayloadRenderer {

        @Override
        public byte[] render(RenderContext ctx) {
            byte[] payload = ctx.payload();
            ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + ctx.sourceTopic().length() + 96);
            try (JsonGenerator gen = Json.FACTORY.createGenerator(out)) {
                gen.writeStartObject();
                if (deviceIdSlot >= 0) {
                    gen.writeStringField("deviceId", ctx.bindings()[deviceIdSlot]);
                }
                gen.writeStringField("topic", ctx.sourceTopic());
                gen.writeNumberField("timestamp", ctx.receivedAt());
                if (Json.isJson(payload)) {
                    gen.writeFieldName("data");
                    gen.writeRawValue(new String(payload, java.nio.charset.StandardCharsets.UTF_8));
                } else {
                    gen.writeFieldName("dataBase64");
                    gen.writeBinary(payload);
                }
                gen.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }
    }

    /** A payload template; see {@link CompiledTemplate#renderPayload}. */
    record Templated(CompiledTemplate template) implements PayloadRenderer {

        @Override
        public byte[] render(RenderContext ctx) {
            return template.renderPayload(ctx);
        }
    }
}
