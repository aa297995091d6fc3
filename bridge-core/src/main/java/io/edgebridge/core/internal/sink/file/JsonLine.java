package io.edgebridge.core.internal.sink.file;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.edgebridge.core.api.OutboundMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One message as one line of JSON: {@code topic} (the mapped target topic), {@code route},
 * {@code sourceTopic}, {@code receivedAt} (epoch ms), {@code seq}, {@code qos}, {@code retain},
 * optional {@code properties} and {@code contentType}, and the payload as {@code payload} (UTF-8
 * text) or {@code payloadBase64}.
 */
final class JsonLine {

    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonLine() {
    }

    static byte[] of(OutboundMessage m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(m.payload().length + m.topic().length() * 2 + 128);
        try (JsonGenerator gen = FACTORY.createGenerator(out)) {
            gen.writeStartObject();
            gen.writeStringField("topic", m.topic());
            gen.writeStringField("route", m.route());
            gen.writeStringField("sourceTopic", m.sourceTopic());
            gen.writeNumberField("receivedAt", m.receivedAt());
            gen.writeNumberField("seq", m.sequence());
            gen.writeNumberField("qos", m.qos());
            gen.writeBooleanField("retain", m.retain());
            if (!m.properties().isEmpty()) {
                gen.writeObjectFieldStart("properties");
                for (Map.Entry<String, String> p : m.properties().entrySet()) {
                    gen.writeStringField(p.getKey(), p.getValue());
                }
                gen.writeEndObject();
            }
            if (m.contentType().isPresent()) {
                gen.writeStringField("contentType", m.contentType().get());
            }
            String text = utf8(m.payload());
            if (text != null) {
                gen.writeStringField("payload", text);
            } else {
                gen.writeFieldName("payloadBase64");
                gen.writeBinary(m.payload());
            }
            gen.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
