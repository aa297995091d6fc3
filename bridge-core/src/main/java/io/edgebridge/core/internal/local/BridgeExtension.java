package io.edgebridge.core.internal.local;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.interceptor.puback.PubackOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.session.ClientService;
import io.edgebridge.core.internal.local.auth.BrokerSecurity;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * The one embedded extension of {@link EmbeddedLocalBroker}: the intake stage (the spooling
 * interceptor, or the MQTT intake's gate), security when configured, and the bridge session's
 * queue size for MQTT intake.
 */
final class BridgeExtension implements ExtensionMain {

    private final String ownClientId;
    private final PublishInboundInterceptor intakeStage;
    private final Optional<PubackOutboundInterceptor> heldAcks;
    private final Optional<BrokerSecurity> security;
    private final OptionalLong bridgeQueueSize;
    private volatile ClientService clients;

    /**
     * @param heldAcks the intake's PUBACK stage, where pipelined publishes wait for the spool
     *                 ({@code intake: extension})
     */
    BridgeExtension(String ownClientId, PublishInboundInterceptor intakeStage,
            Optional<PubackOutboundInterceptor> heldAcks, Optional<BrokerSecurity> security,
            OptionalLong bridgeQueueSize) {
        this.ownClientId = ownClientId;
        this.intakeStage = intakeStage;
        this.heldAcks = heldAcks;
        this.security = security;
        this.bridgeQueueSize = bridgeQueueSize;
    }

    /**
     * Disconnects a client of this broker (its PUBACKs not yet written are then never sent);
     * completes when done, or at once with {@code false} before the broker started.
     */
    CompletableFuture<Boolean> disconnect(String clientId, String reason) {
        ClientService c = clients;
        if (c == null) {
            return CompletableFuture.completedFuture(false);
        }
        return c.disconnectClient(clientId, false, DisconnectReasonCode.UNSPECIFIED_ERROR, reason);
    }

    @Override
    public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
        registerAuthenticator();
        security.ifPresent(BrokerSecurity::registerAuthorizer);
        // One interceptor: HiveMQ runs interceptors before authorizers, so a publish outside the
        // client's permissions is refused here, before intake could spool (or count) it.
        boolean checked = security.filter(BrokerSecurity::checksPublishes).isPresent();
        PublishInboundInterceptor combined = (in, out) -> {
            if (checked && !security.get().admitPublish(in, out)) {
                return;
            }
            intakeStage.onInboundPublish(in, out);
        };
        // Kept here: with several embedded brokers in one JVM (tests), Services is the last one's later.
        clients = Services.clientService();
        Services.initializerRegistry().setClientInitializer((initializerInput, clientContext) -> {
            clientContext.addPublishInboundInterceptor(combined);
            heldAcks.ifPresent(clientContext::addPubackOutboundInterceptor);
        });
    }

    /**
     * The configured authentication (or everyone, without it), and for the bridge's own session a
     * queue limit of its own: HiveMQ sets per-client queue limits only through an authenticator.
     */
    private void registerAuthenticator() {
        if (security.isEmpty() && bridgeQueueSize.isEmpty()) {
            return; // HiveMQ's embedded default: every client is let in
        }
        SimpleAuthenticator base = security.map(BrokerSecurity::authenticator)
                .orElse((in, out) -> out.authenticateSuccessfully());
        SimpleAuthenticator authenticator = bridgeQueueSize.isEmpty() ? base : (in, out) -> {
            if (in.getClientInformation().getClientId().equals(ownClientId)) {
                out.getClientSettings().setClientQueueSizeMaximum(bridgeQueueSize.getAsLong());
            }
            base.onConnect(in, out);
        };
        Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
    }

    @Override
    public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
        // Nothing to release: the interceptor and security belong to the bridge.
    }
}
