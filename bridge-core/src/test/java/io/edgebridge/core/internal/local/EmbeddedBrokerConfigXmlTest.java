package io.edgebridge.core.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.core.testing.Configs;
import org.junit.jupiter.api.Test;

class EmbeddedBrokerConfigXmlTest {

    @Test
    void theYamlSettingsReachHiveMqsConfigXml() {
        EmbeddedBrokerConfig embedded = (EmbeddedBrokerConfig) Configs.parse("""
                local:
                  embedded:
                    address: 127.0.0.1
                    port: 18883
                    persistence: in-memory
                    maxQueueSize: 5000
                    queueStrategy: discard-oldest
                sinks:
                  out: { type: file, path: out.jsonl }
                routes:
                  - { name: r, from: a/#, sink: out, topic: b }
                """).local().broker();
        String xml = BrokerConfigXml.render(embedded);
        assertThat(xml)
                .contains("<port>18883</port>")
                .contains("<bind-address>127.0.0.1</bind-address>")
                .contains("<max-queue-size>5000</max-queue-size>")
                .contains("<strategy>discard-oldest</strategy>")
                .contains("<mode>in-memory</mode>")
                .contains("<enabled>false</enabled>");
    }
}
