package io.edgebridge.core.internal.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.BrokerAuth;
import io.edgebridge.config.BrokerListener;
import io.edgebridge.config.EmbeddedBrokerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AnonymousWarningTest {

    private static EmbeddedBrokerConfig broker(Optional<BrokerAuth> auth, BrokerListener... listeners) {
        return new EmbeddedBrokerConfig(List.of(listeners), Path.of("b"), EmbeddedBrokerConfig.Persistence.IN_MEMORY,
                10, EmbeddedBrokerConfig.QueueStrategy.DISCARD, EmbeddedBrokerConfig.Intake.EXTENSION, auth,
                Optional.empty());
    }

    @Test
    void anonymousAccessOnANonLoopbackListener_isWarnedAbout_namingThoseListeners() {
        assertThat(EmbeddedLocalBroker.anonymousWarning(broker(Optional.empty(),
                BrokerListener.plain("127.0.0.1", 1883), BrokerListener.plain("0.0.0.0", 1884))))
                .hasValueSatisfying(w -> assertThat(w)
                        .startsWith("embedded broker accepts anonymous clients on 0.0.0.0:1884;"));
        assertThat(EmbeddedLocalBroker.anonymousWarning(broker(Optional.of(new BrokerAuth(Path.of("p"), true)),
                BrokerListener.plain("::", 1883)))).isPresent();
    }

    @Test
    void loopbackOnly_orAuthWithoutAnonymous_isNotWarnedAbout() {
        assertThat(EmbeddedLocalBroker.anonymousWarning(broker(Optional.empty(),
                BrokerListener.plain("127.0.0.1", 1883), BrokerListener.plain("::1", 1884)))).isEmpty();
        assertThat(EmbeddedLocalBroker.anonymousWarning(broker(Optional.of(new BrokerAuth(Path.of("p"), false)),
                BrokerListener.plain("0.0.0.0", 1883)))).isEmpty();
    }
}
