package io.edgebridge.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClientIdDefaultsTest {

    @Test
    void plainDefaultsAreTheBaseItself() {
        assertThat(ClientIdDefaults.PLAIN.apply("edgebridge-cloud")).contains("edgebridge-cloud");
    }

    @Test
    void perReplicaDefaultsAppendTheHostNameLookingItUpOnce() {
        AtomicInteger lookups = new AtomicInteger();
        ClientIdDefaults defaults = ClientIdDefaults.perReplica(() -> {
            lookups.incrementAndGet();
            return Optional.of("gw7");
        });

        assertThat(lookups).hasValue(0);
        assertThat(defaults.apply("edgebridge")).contains("edgebridge-gw7");
        assertThat(defaults.apply("edgebridge-cloud")).contains("edgebridge-cloud-gw7");
        assertThat(lookups).hasValue(1);
    }

    @Test
    void anUnknownHostNameGivesNoDefault() {
        assertThat(ClientIdDefaults.perReplica(Optional::empty).apply("edgebridge")).isEmpty();
        assertThat(ClientIdDefaults.unknownHostProblem("edgebridge")).contains("set HOSTNAME or write clientId");
    }

    @Test
    void theHostNameComesFromHostnameFirstThenFromTheLocalHost() {
        assertThat(ClientIdDefaults.hostName(Map.of("HOSTNAME", "pod-7f9c")::get)).contains("pod-7f9c");
        // Without HOSTNAME the local host's own name is asked; on a box where it does not resolve there is none.
        Optional<String> local = ClientIdDefaults.hostName(name -> null);
        local.ifPresent(h -> assertThat(h).matches("[A-Za-z0-9._-]{1,64}"));
    }
}
