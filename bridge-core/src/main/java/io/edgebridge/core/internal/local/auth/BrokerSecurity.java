package io.edgebridge.core.internal.local.auth;

import com.hivemq.extension.sdk.api.auth.PublishAuthorizer;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.SubscriptionAuthorizer;
import com.hivemq.extension.sdk.api.auth.parameter.PublishAuthorizerInput;
import com.hivemq.extension.sdk.api.auth.parameter.PublishAuthorizerOutput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthInput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthOutput;
import com.hivemq.extension.sdk.api.auth.parameter.SubscriptionAuthorizerInput;
import com.hivemq.extension.sdk.api.auth.parameter.SubscriptionAuthorizerOutput;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;
import com.hivemq.extension.sdk.api.parameter.ClientBasedInput;
import com.hivemq.extension.sdk.api.services.Services;
import io.edgebridge.config.BrokerAuth;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Authentication and topic permissions of the embedded broker, registered by its embedded
 * extension. The bridge's own session is recognised by its client id and a secret made at each
 * start; it may do anything. Other clients authenticate from the password file (when configured)
 * and are held to {@link TopicPermissions} (when configured).
 */
public final class BrokerSecurity {

    private static final String ROLE = "edgebridge.role";
    private static final String USER = "edgebridge.user";
    private static final String BRIDGE = "bridge";

    private final String ownClientId;
    private final byte[] secret;
    private final Optional<PasswordStore> passwords;
    private final boolean allowAnonymous;
    private final BrokerAuth.ClientIds clientIds;
    private final Optional<TopicPermissions> permissions;
    private final RefusalLog refusals;

    /**
     * @param passwords      the users, when {@code auth} is configured
     * @param allowAnonymous with {@code passwords}: accept clients without a user name
     * @param clientIds      with {@code passwords}: which client ids a user may connect with
     */
    public BrokerSecurity(String ownClientId, byte[] secret, Optional<PasswordStore> passwords, boolean allowAnonymous,
            BrokerAuth.ClientIds clientIds, Optional<TopicPermissions> permissions, RefusalLog refusals) {
        this.ownClientId = ownClientId;
        this.secret = secret.clone();
        this.passwords = passwords;
        this.allowAnonymous = allowAnonymous;
        this.clientIds = clientIds;
        this.permissions = permissions;
        this.refusals = refusals;
    }

    /** The authenticator; register it from {@code extensionStart} (possibly wrapped). */
    public SimpleAuthenticator authenticator() {
        return this::authenticate;
    }

    /** Registers the authorizer when permissions are configured; call from {@code extensionStart}. */
    public void registerAuthorizer() {
        if (permissions.isPresent()) {
            Authorizer authorizer = new Authorizer();
            Services.securityRegistry().setAuthorizerProvider(input -> authorizer);
        }
    }

    /** Whether publishes are checked at all ({@code permissions} configured). */
    public boolean checksPublishes() {
        return permissions.isPresent();
    }

    /**
     * Lets a publish within the client's permissions go on (returns true) and refuses any other: an
     * MQTT 5 client gets PUBACK/PUBREC NOT_AUTHORIZED and stays connected, a QoS 0 message is
     * dropped, an MQTT 3.1.1 client is disconnected by HiveMQ (it has no refusal code). Runs as a
     * publish interceptor, since HiveMQ's authorizer would also disconnect MQTT 5 clients.
     */
    public boolean admitPublish(PublishInboundInput input, PublishInboundOutput output) {
        String topic = input.getPublishPacket().getTopic();
        if (mayPublish(input, topic)) {
            return true;
        }
        refusals.refused(RefusalLog.Action.PUBLISH, "not-authorized", input.getClientInformation().getClientId(),
                user(input), Optional.of(topic));
        output.preventPublishDelivery(AckReasonCode.NOT_AUTHORIZED, "not authorized to publish to this topic");
        return false;
    }

    private boolean mayPublish(ClientBasedInput input, String topic) {
        if (permissions.isEmpty() || isBridge(input)) {
            return true;
        }
        return permissions.get().forClient(input.getClientInformation().getClientId(), user(input)).mayPublish(topic);
    }

    private void authenticate(SimpleAuthInput input, SimpleAuthOutput output) {
        ConnectPacket connect = input.getConnectPacket();
        String clientId = input.getClientInformation().getClientId();
        Optional<String> username = connect.getUserName();
        Optional<byte[]> password = connect.getPassword().map(BrokerSecurity::bytes);
        ConnectionAttributeStore attributes = input.getConnectionInformation().getConnectionAttributeStore();
        if (clientId.equals(ownClientId)) {
            if (password.isPresent() && MessageDigest.isEqual(password.get(), secret)) {
                attributes.putAsString(ROLE, BRIDGE);
                output.authenticateSuccessfully();
            } else {
                refuse(output, ConnackReasonCode.NOT_AUTHORIZED, "bridge-client-id", clientId, username);
            }
            return;
        }
        if (passwords.isEmpty()) {
            output.authenticateSuccessfully(); // permissions only: anonymous as before
            return;
        }
        if (username.isEmpty()) {
            if (allowAnonymous && password.isEmpty() && clientIds == BrokerAuth.ClientIds.ANY) {
                output.authenticateSuccessfully();
            } else {
                refuse(output, ConnackReasonCode.NOT_AUTHORIZED, "anonymous", clientId, username);
            }
            return;
        }
        if (!(password.isPresent() && passwords.get().verify(username.get(), password.get()))) {
            refuse(output, ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "bad-credentials", clientId, username);
        } else if (clientIds == BrokerAuth.ClientIds.USERNAME && !clientId.equals(username.get())) {
            // Refused at CONNECT, before HiveMQ would hand this connection the session of that id
            // (and close the connection holding it): one user cannot take over another's session.
            refuse(output, ConnackReasonCode.CLIENT_IDENTIFIER_NOT_VALID, "client-id-not-username", clientId, username);
        } else {
            attributes.putAsString(USER, username.get());
            output.authenticateSuccessfully();
        }
    }

    private void refuse(SimpleAuthOutput output, ConnackReasonCode code, String reason, String clientId,
            Optional<String> username) {
        refusals.refused(RefusalLog.Action.CONNECT, reason, clientId, username, Optional.empty());
        output.failAuthentication(code, switch (code) {
            case NOT_AUTHORIZED -> "not authorized";
            case CLIENT_IDENTIFIER_NOT_VALID -> "the client id must be the user name";
            default -> "bad user name or password";
        });
    }

    private static boolean isBridge(ClientBasedInput input) {
        return input.getConnectionInformation().getConnectionAttributeStore().getAsString(ROLE)
                .filter(BRIDGE::equals).isPresent();
    }

    /** The user name the client authenticated with (absent for anonymous clients and without a password file). */
    private static Optional<String> user(ClientBasedInput input) {
        return input.getConnectionInformation().getConnectionAttributeStore().getAsString(USER);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer dup = buffer.duplicate();
        byte[] bytes = new byte[dup.remaining()];
        dup.get(bytes);
        return bytes;
    }

    private final class Authorizer implements PublishAuthorizer, SubscriptionAuthorizer {

        /**
         * Publishes were already checked by {@link #admitPublish}; this also checks will messages at
         * CONNECT (a refused will refuses the connection with NOT_AUTHORIZED).
         */
        @Override
        public void authorizePublish(PublishAuthorizerInput input, PublishAuthorizerOutput output) {
            String topic = input.getPublishPacket().getTopic();
            if (mayPublish(input, topic)) {
                output.authorizeSuccessfully();
                return;
            }
            refusals.refused(RefusalLog.Action.PUBLISH, "not-authorized", input.getClientInformation().getClientId(),
                    user(input), Optional.of(topic));
            output.failAuthorization(AckReasonCode.NOT_AUTHORIZED, "not authorized to publish to this topic");
        }

        @Override
        public void authorizeSubscribe(SubscriptionAuthorizerInput input, SubscriptionAuthorizerOutput output) {
            String filter = input.getSubscription().getTopicFilter();
            if (isBridge(input) || permissions.orElseThrow()
                    .forClient(input.getClientInformation().getClientId(), user(input))
                    .maySubscribe(TopicPermissions.unshared(filter))) {
                output.authorizeSuccessfully();
                return;
            }
            refusals.refused(RefusalLog.Action.SUBSCRIBE, "not-authorized", input.getClientInformation().getClientId(),
                    user(input), Optional.of(filter));
            output.failAuthorization(SubackReasonCode.NOT_AUTHORIZED, "not authorized to subscribe to this filter");
        }
    }
}
