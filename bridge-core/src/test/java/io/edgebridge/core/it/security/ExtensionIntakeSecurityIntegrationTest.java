package io.edgebridge.core.it.security;

/** Intake in-process: the publish interceptor must not spool what the authorizer refuses. */
class ExtensionIntakeSecurityIntegrationTest extends LocalBrokerSecurityScenario {

    @Override
    String intake() {
        return "extension";
    }
}
