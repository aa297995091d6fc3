package io.edgebridge.azure;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The identity of a cloud-to-device message across IoT Hub's redeliveries: its message id together
 * with a digest of its topic and body. The message id alone is set by whoever sends the message and
 * need be neither present nor unique; two different commands sent with the same id while the first
 * still waits for the local broker would otherwise be taken for one (the second acknowledged
 * unpublished). With the digest, only a message equal in id, topic and body is taken for a redelivery.
 */
final class C2dIdentity {

    private C2dIdentity() {
    }

    static Optional<String> of(String messageId, String topic, byte[] body) {
        if (messageId == null || messageId.isEmpty()) {
            return Optional.empty();
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(topic.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(body);
            return Optional.of(messageId + "/" + HexFormat.of().formatHex(sha.digest(), 0, 12));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
