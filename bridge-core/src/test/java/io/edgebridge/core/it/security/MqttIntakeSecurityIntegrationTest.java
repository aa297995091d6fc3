package io.edgebridge.core.it.security;

/** Intake through the bridge's own session, which authenticates with its per-start secret. */
class MqttIntakeSecurityIntegrationTest extends LocalBrokerSecurityScenario {

    @Override
    String intake() {
        return "mqtt";
    }
}
