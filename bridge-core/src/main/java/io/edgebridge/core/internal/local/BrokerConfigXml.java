package io.edgebridge.core.internal.local;

import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.ListenerTls;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** HiveMQ's {@code config.xml} (see {@code config.xsd} in the HiveMQ jar) from EdgeBridge's settings. */
final class BrokerConfigXml {

    /**
     * One listener as HiveMQ gets it.
     *
     * @param stores     PKCS12 stores of a TLS listener
     * @param clientAuth whether a TLS listener asks for client certificates
     */
    record Listener(String address, int port, Optional<ListenerStores.Stores> stores, ListenerTls.ClientAuth clientAuth) {

        static Listener plain(String address, int port) {
            return new Listener(address, port, Optional.empty(), ListenerTls.ClientAuth.NONE);
        }
    }

    /**
     * How many QoS 1/2 publishes an MQTT 5 device may have unacknowledged (HiveMQ's default is 10).
     * With {@code intake: extension} a device's PUBACK waits for the spool's fsync, so this is how
     * many of its publishes can share one; MQTT 3 devices have no such limit.
     */
    static final int SERVER_RECEIVE_MAXIMUM = 100;

    private BrokerConfigXml() {
    }

    /** The configuration with plain listeners as configured (no TLS). */
    static String render(EmbeddedBrokerConfig config) {
        return render(config, config.listeners().stream().map(l -> {
            if (l.tls().isPresent()) {
                throw new IllegalArgumentException("TLS listeners need their stores");
            }
            return Listener.plain(l.address(), l.port());
        }).toList());
    }

    static String render(EmbeddedBrokerConfig config, List<Listener> listeners) {
        StringBuilder xml = new StringBuilder();
        for (Listener l : listeners) {
            xml.append(l.stores().isEmpty() ? plain(l) : tls(l, l.stores().get()));
        }
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Written by EdgeBridge from its YAML configuration on every start; edits here are lost. -->
                <hivemq>
                    <listeners>
                %s    </listeners>
                    <mqtt>
                        <queued-messages>
                            <max-queue-size>%d</max-queue-size>
                            <strategy>%s</strategy>
                        </queued-messages>
                        <receive-maximum>
                            <server-receive-maximum>%d</server-receive-maximum>
                        </receive-maximum>
                    </mqtt>
                    <persistence>
                        <mode>%s</mode>
                    </persistence>
                    <anonymous-usage-statistics>
                        <enabled>false</enabled>
                    </anonymous-usage-statistics>
                </hivemq>
                """.formatted(
                xml,
                config.maxQueueSize(),
                config.queueStrategy().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                SERVER_RECEIVE_MAXIMUM,
                config.persistence().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    private static String plain(Listener l) {
        return """
                        <tcp-listener>
                            <port>%d</port>
                            <bind-address>%s</bind-address>
                        </tcp-listener>
                """.formatted(l.port(), escape(l.address()));
    }

    private static String tls(Listener l, ListenerStores.Stores stores) {
        String truststore = stores.truststore().map(t -> """
                                <truststore>
                                    <path>%s</path>
                                    <password>%s</password>
                                </truststore>
                """.formatted(escape(t.toString()), escape(stores.password()))).orElse("");
        return """
                        <tls-tcp-listener>
                            <port>%d</port>
                            <bind-address>%s</bind-address>
                            <tls>
                                <keystore>
                                    <path>%s</path>
                                    <password>%s</password>
                                    <private-key-password>%s</private-key-password>
                                </keystore>
                %s                <client-authentication-mode>%s</client-authentication-mode>
                            </tls>
                        </tls-tcp-listener>
                """.formatted(l.port(), escape(l.address()), escape(stores.keystore().toString()),
                escape(stores.password()), escape(stores.password()), truststore, l.clientAuth().name());
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
