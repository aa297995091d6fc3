package io.edgebridge.core.internal.local;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import io.edgebridge.core.internal.local.auth.BrokerSecurity;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The one embedded extension of {@link EmbeddedLocalBroker}: the intake stage (the spooling
 * interceptor, or the MQTT intake's gate), security when configured, and the bridge session's
 * queue size for MQTT intake.
 */
final class BridgeExtension implements ExtensionMain {

    private final String ownClientId;
    private final PublishInboundInterceptor intakeStage;
    private final Optional<BrokerSecurity> security;
    private final OptionalLong bridgeQueueSize;

    BridgeExtension(String ownClientId, PublishInboundInterceptor intakeStage, Optional<BrokerSecurity> security,
            OptionalLong bridgeQueueSize) {
        this.ownClientId = ownClientId;
        this.intakeStage = intakeStage;
        this.security = security;
        this.bridgeQueueSize = bridgeQueueSize;
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
        Services.initializerRegistry().setClientInitializer(
                (initializerInput, clientContext) -> clientContext.addPublishInboundInterceptor(combined));
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
