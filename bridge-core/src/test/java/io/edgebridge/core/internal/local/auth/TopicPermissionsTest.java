package io.edgebridge.core.internal.local.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.PermissionRule;
import io.edgebridge.config.auth.PermissionFilter;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicPermissionsTest {

    private static PermissionRule rule(List<String> clients, List<String> users, List<String> publish,
            List<String> subscribe) {
        return new PermissionRule(clients, users, publish.stream().map(PermissionFilter::parse).toList(),
                subscribe.stream().map(PermissionFilter::parse).toList());
    }

    private final TopicPermissions permissions = new TopicPermissions(List.of(
            rule(List.of(), List.of(), List.of("sensors/<clientId>/#"), List.of("commands/<clientId>/#")),
            rule(List.of("gw-*"), List.of(), List.of("gateways/<username>/+"), List.of()),
            rule(List.of(), List.of("ops"), List.of(), List.of("sensors/#", "$SYS/#"))));

    @Test
    void aDevicePublishesUnderItsOwnId_only() {
        TopicPermissions.ClientPermissions dev1 = permissions.forClient("dev1", Optional.of("alice"));

        assertThat(dev1.mayPublish("sensors/dev1")).isTrue();
        assertThat(dev1.mayPublish("sensors/dev1/temp/x")).isTrue();
        assertThat(dev1.mayPublish("sensors/dev2/temp")).isFalse();
        assertThat(dev1.mayPublish("sensors")).isFalse();
        assertThat(dev1.mayPublish("gateways/alice/x")).isFalse();
    }

    @Test
    void clientPatterns_andUserNames_selectTheRules() {
        assertThat(permissions.forClient("gw-7", Optional.of("alice")).mayPublish("gateways/alice/x")).isTrue();
        assertThat(permissions.forClient("gw-7", Optional.of("alice")).mayPublish("gateways/bob/x")).isFalse();
        assertThat(permissions.forClient("gw-7", Optional.empty()).mayPublish("gateways/alice/x")).isFalse();
        assertThat(permissions.forClient("xgw-7", Optional.of("alice")).mayPublish("gateways/alice/x")).isFalse();
        assertThat(permissions.forClient("m", Optional.of("ops")).maySubscribe("sensors/+/temp")).isTrue();
        assertThat(permissions.forClient("m", Optional.of("alice")).maySubscribe("sensors/+/temp")).isFalse();
    }

    @Test
    void subscriptions_mustStayWithinAPermittedFilter() {
        TopicPermissions.ClientPermissions dev1 = permissions.forClient("dev1", Optional.empty());

        assertThat(dev1.maySubscribe("commands/dev1/#")).isTrue();
        assertThat(dev1.maySubscribe("commands/dev1/+/x")).isTrue();
        assertThat(dev1.maySubscribe("commands/dev1")).isTrue();
        assertThat(dev1.maySubscribe("commands/+/x")).isFalse();
        assertThat(dev1.maySubscribe("commands/#")).isFalse();
        assertThat(dev1.maySubscribe("#")).isFalse();
        assertThat(dev1.maySubscribe(TopicPermissions.unshared("$share/g/commands/dev1/#"))).isTrue();
        assertThat(dev1.maySubscribe(TopicPermissions.unshared("$share/g/commands/#"))).isFalse();
    }

    /** A client id or user name that is not one plain topic level must not turn into a wildcard. */
    @ParameterizedTest
    @ValueSource(strings = {"+", "#", "a/b", "dev1/#", "x\0y", ""})
    void anIdWithWildcardsOrSlashes_neverMatchesItsPlaceholderRules(String id) {
        TopicPermissions.ClientPermissions client = permissions.forClient(id, Optional.of(id));

        assertThat(client.mayPublish("sensors/dev1/temp")).isFalse();
        assertThat(client.mayPublish("sensors/a/b")).isFalse();
        assertThat(client.maySubscribe("commands/dev1/#")).isFalse();
        assertThat(permissions.forClient("gw-" + id, Optional.of(id)).mayPublish("gateways/x/y")).isFalse();
    }

    @Test
    void noRules_allowNothing() {
        TopicPermissions none = new TopicPermissions(List.of());

        assertThat(none.forClient("dev1", Optional.empty()).mayPublish("a")).isFalse();
        assertThat(none.forClient("dev1", Optional.empty()).maySubscribe("a")).isFalse();
    }
}
