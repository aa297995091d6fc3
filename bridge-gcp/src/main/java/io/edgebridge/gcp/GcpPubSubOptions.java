package io.edgebridge.gcp;

import io.edgebridge.config.template.Template;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Options of a {@code type: gcp-pubsub} sink.
 *
 * @param project     the Google Cloud project of topic and subscription ids
 * @param connection  where the Pub/Sub API is and how the sink authenticates
 * @param batching    when the publishers send a batch
 * @param flowControl what the publishers hold unacknowledged, at most (publishing waits beyond it)
 * @param downstream  the subscription downstream routes read, if any
 */
record GcpPubSubOptions(
        String project,
        Connection connection,
        Batching batching,
        FlowControl flowControl,
        Optional<Downstream> downstream) {

    /** Where the Pub/Sub API is and how the sink authenticates. */
    sealed interface Connection permits Emulator, Cloud {
    }

    /**
     * The Pub/Sub emulator (or a stand-in): a plaintext gRPC channel, no credentials.
     *
     * @param hostPort {@code host:port}
     */
    record Emulator(String hostPort) implements Connection {
    }

    /**
     * The Pub/Sub API over TLS.
     *
     * @param endpoint        {@code host:port}, by default {@code pubsub.googleapis.com:443}
     * @param credentialsFile a service-account key (JSON); Application Default Credentials when empty
     * @param ca              trust anchors (PEM) instead of the system trust store
     */
    record Cloud(String endpoint, Optional<Path> credentialsFile, Optional<Path> ca) implements Connection {
    }

    /**
     * A batch goes out when it holds {@code messages} messages or {@code bytes} bytes, or
     * {@code delay} after its first message.
     */
    record Batching(long messages, long bytes, Duration delay) {
    }

    /** Messages and bytes held unacknowledged, at most. */
    record FlowControl(long messages, long bytes) {
    }

    /**
     * The streaming-pull subscription downstream routes read.
     *
     * @param subscription the subscription id (or {@code projects/<p>/subscriptions/<id>})
     * @param topic        the topic a message is matched under by downstream routes, rendered from
     *                     its attributes
     * @param flowControl  messages and bytes held before they are acknowledged, at most
     * @param timeout      how long a message may wait for the local broker before it is nacked
     */
    record Downstream(String subscription, Template topic, FlowControl flowControl, Duration timeout) {
    }
}
