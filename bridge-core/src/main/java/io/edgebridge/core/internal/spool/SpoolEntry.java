package io.edgebridge.core.internal.spool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One upstream message in the spool.
 *
 * <p>Encoding (version 1): {@code version:u8, receivedAt:i64, flags:u8 (bits 0-1 QoS, bit 2
 * retain), topicLength:u16, topic:UTF-8, payload:rest}. Decoded entries are immutable by
 * convention: nothing writes to {@code payload}.
 *
 * @param seq        sequence number in the spool
 * @param receivedAt when the bridge accepted it (epoch ms)
 * @param qos        QoS the device published with
 * @param retain     the retain flag the device set
 * @param topic      the local topic
 * @param payload    the payload bytes
 */
public record SpoolEntry(long seq, long receivedAt, int qos, boolean retain, String topic, byte[] payload) {

    private static final byte VERSION = 1;
    private static final int HEADER = 1 + 8 + 1 + 2;
    /** The receipt time ends here: reading this many bytes of an entry is enough for {@link #receivedAtOf}. */
    static final int RECEIVED_AT_END = 1 + 8;

    /** Encodes a message for {@link Spool#append}. */
    public static byte[] encode(long receivedAt, int qos, boolean retain, String topic, byte[] payload) {
        byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
        if (topicBytes.length > 0xFFFF) {
            throw new IllegalArgumentException("topic longer than 65535 bytes");
        }
        byte[] out = new byte[HEADER + topicBytes.length + payload.length];
        ByteBuffer buf = ByteBuffer.wrap(out);
        buf.put(VERSION);
        buf.putLong(receivedAt);
        buf.put((byte) ((qos & 0x3) | (retain ? 0x4 : 0)));
        buf.putShort((short) topicBytes.length);
        buf.put(topicBytes);
        buf.put(payload);
        return out;
    }

    public static SpoolEntry decode(long seq, byte[] value) {
        if (value.length < HEADER || value[0] != VERSION) {
            throw new IllegalStateException("spool entry " + seq + " has an unknown format");
        }
        ByteBuffer buf = ByteBuffer.wrap(value);
        buf.get();
        long receivedAt = buf.getLong();
        int flags = buf.get();
        int topicLength = buf.getShort() & 0xFFFF;
        String topic = new String(value, HEADER, topicLength, StandardCharsets.UTF_8);
        int payloadStart = HEADER + topicLength;
        byte[] payload = new byte[value.length - payloadStart];
        System.arraycopy(value, payloadStart, payload, 0, payload.length);
        return new SpoolEntry(seq, receivedAt, flags & 0x3, (flags & 0x4) != 0, topic, payload);
    }

    /** The receipt time without decoding the rest: {@code start} holds the entry's first bytes. */
    static long receivedAtOf(ByteBuffer start) {
        return start.getLong(start.position() + 1);
    }
}
