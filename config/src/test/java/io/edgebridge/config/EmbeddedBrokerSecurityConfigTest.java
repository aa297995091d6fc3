package io.edgebridge.config;

import static io.edgebridge.config.Yamls.withDefaults;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgebridge.config.auth.PermissionFilter;
import io.edgebridge.config.tls.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** {@code local.embedded}: listeners, auth and permissions, loaded and refused with locations. */
class EmbeddedBrokerSecurityConfigTest {

    private static final String HASH = "$7$101$ymfzIwgGbxW13Dx4$W2vUHCDNR7WHxk49fTkDcqJLQZUagISAfGX1QPQQp59oSvh0Vdzhbb43T5fdJtP8pjGGzDAkAHI8UY7BikyRzA==";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private Path cert;
    private Path key;
    private Path ca;
    private Path passwd;

    @BeforeEach
    void files() throws IOException {
        TestPki pki = new TestPki(dir.resolve("pki"), "ca");
        TestPki.Pair server = pki.issue("server");
        cert = server.certificate();
        key = server.privateKey();
        ca = pki.ca();
        passwd = Files.writeString(dir.resolve("passwd"), "# devices\nalice:" + HASH + "\n\n");
    }

    private EmbeddedBrokerConfig load(String local) throws ConfigException {
        return (EmbeddedBrokerConfig) Yamls.load(withDefaults(local)).local().broker();
    }

    private List<String> problems(String local) {
        return Yamls.rejected(withDefaults(local)).problems().stream().map(ConfigProblem::format).toList();
    }

    @Test
    void listenersAuthAndPermissions_load() throws ConfigException {
        EmbeddedBrokerConfig embedded = load("""
                local:
                  clientId: bridge-1
                  embedded:
                    listeners:
                      - { address: 127.0.0.1, port: 1883 }
                      - address: 0.0.0.0
                        port: 8883
                        tls: { certificate: %s, privateKey: %s, ca: %s, clientAuth: required }
                    auth: { passwordFile: %s }
                    permissions:
                      - publish: [ sensors/<clientId>/# ]
                        subscribe: [ commands/<clientId>/# ]
                      - clients: [ "gw-*" ]
                        users: [ alice ]
                        subscribe: [ "#" ]
                """.formatted(cert, key, ca, passwd));

        assertThat(embedded.listeners()).containsExactly(BrokerListener.plain("127.0.0.1", 1883),
                new BrokerListener("0.0.0.0", 8883, Optional.of(new ListenerTls(cert, key, Optional.empty(),
                        Optional.of(ca), ListenerTls.ClientAuth.REQUIRED))));
        assertThat(embedded.auth()).contains(new BrokerAuth(passwd, false, BrokerAuth.ClientIds.ANY));
        assertThat(embedded.permissions()).contains(List.of(
                new PermissionRule(List.of(), List.of(), List.of(PermissionFilter.parse("sensors/<clientId>/#")),
                        List.of(PermissionFilter.parse("commands/<clientId>/#"))),
                new PermissionRule(List.of("gw-*"), List.of("alice"), List.of(), List.of(PermissionFilter.parse("#")))));
        assertThat(embedded.secured()).isTrue();
    }

    @Test
    void theShorthand_isOnePlainListener_withoutSecurity() throws ConfigException {
        EmbeddedBrokerConfig embedded = load("local:\n  embedded: {address: 127.0.0.1, port: 1884}");

        assertThat(embedded.listeners()).containsExactly(BrokerListener.plain("127.0.0.1", 1884));
        assertThat(embedded.auth()).isEmpty();
        assertThat(embedded.permissions()).isEmpty();
        assertThat(embedded.secured()).isFalse();
    }

    @Test
    void shorthandAndListenersTogether_areRefusedAtTheShorthandKeys() {
        assertThat(problems("""
                local:
                  embedded:
                    address: 127.0.0.1
                    port: 1883
                    listeners: [ { port: 1884 } ]
                """)).containsExactly(
                "<config>:3:5: local.embedded.address: 'address' is the shorthand for one plain listener; with"
                        + " 'listeners' write every listener there",
                "<config>:4:5: local.embedded.port: 'port' is the shorthand for one plain listener; with"
                        + " 'listeners' write every listener there");
    }

    @Test
    void listenerMistakes_areReportedWhereTheyAre() {
        List<String> problems = problems("""
                local:
                  embedded:
                    listeners:
                      - { address: 0.0.0.0, port: 1883 }
                      - { address: 127.0.0.1, port: 1883 }
                      - { address: 127.0.0.1 }
                      - { port: 8883, tls: { certificate: %s, clientAuth: optional } }
                      - { port: 8884, tls: { certificate: %s, privateKey: %s/missing.key } }
                """.formatted(cert, cert, dir));

        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("<config>:5:37: local.embedded.listeners[1].port:"
                + " port 1883 is already used by the listener at line 4"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("<config>:6:9: local.embedded.listeners[2]")
                .contains("'port' is required"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("listeners[3].tls", "'privateKey' is required"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("listeners[3].tls.clientAuth",
                "clientAuth optional needs 'ca'"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("<config>:8:").contains("listeners[4].tls.privateKey",
                "missing.key' does not exist"));
    }

    @Test
    void aMissingPasswordFile_isRefused() {
        assertThat(problems("local:\n  embedded:\n    auth: { allowAnonymous: true }"))
                .containsExactly("<config>:3:11: local.embedded.auth.passwordFile: 'passwordFile' is required: a"
                        + " password file in mosquitto_passwd format (create one with edgebridge passwd)");
        assertThat(problems("local:\n  embedded:\n    auth: { passwordFile: " + dir.resolve("nope") + " }"))
                .singleElement().satisfies(p -> assertThat(p).startsWith("<config>:3:27: local.embedded.auth.passwordFile:"
                        + " file '" + dir.resolve("nope") + "' does not exist"));
    }

    @Test
    void aBadLineInThePasswordFile_isReportedAtItsLine_withoutTheHash() throws IOException {
        Files.writeString(passwd, "alice:" + HASH + "\n# ok\nbob:$7$101$c2FsdA==$dG9vc2hvcnQ=\nalice:" + HASH + "\n");

        List<String> problems = problems("local:\n  embedded:\n    auth: { passwordFile: " + passwd + " }");

        assertThat(problems).containsExactly(
                passwd + ":3:1: local.embedded.auth.passwordFile: the hash of user 'bob' is not"
                        + " $7$<iterations>$<salt>$<hash> (PBKDF2-SHA512) or $6$<salt>$<hash> (SHA-512) as"
                        + " mosquitto_passwd and edgebridge passwd write it; plain-text passwords are not accepted",
                passwd + ":4:1: local.embedded.auth.passwordFile: user 'alice' is already defined on line 1");
        assertThat(String.join("\n", problems)).doesNotContain("c2FsdA", HASH.substring(10, 30));
    }

    @Test
    void permissionMistakes_areReportedAtTheFilter() {
        List<String> problems = problems("""
                local:
                  embedded:
                    permissions:
                      - publish: [ sensors/<deviceId>/# ]
                      - subscribe: [ "a/#/b", "x+/y" ]
                      - clients: [ dev1 ]
                      - users: [ alice ]
                        publish: [ "<username>/#" ]
                      - "sensors/#"
                """);

        assertThat(problems).contains(
                "<config>:4:20: local.embedded.permissions[0].publish[0]: invalid permission filter"
                        + " 'sensors/<deviceId>/#': '<deviceId>': a permission filter knows the placeholders"
                        + " <clientId> and <username>, each filling a whole level",
                "<config>:5:22: local.embedded.permissions[1].subscribe[0]: invalid permission filter 'a/#/b':"
                        + " '#' must be the last level of a topic filter",
                "<config>:5:31: local.embedded.permissions[1].subscribe[1]: invalid permission filter 'x+/y':"
                        + " wildcards must fill a whole level, not 'x+'",
                "<config>:6:9: local.embedded.permissions[2]: a rule needs 'publish' or 'subscribe' (or both): the"
                        + " topic filters it allows",
                "<config>:7:16: local.embedded.permissions[3].users: 'users' needs local.embedded.auth: without it a"
                        + " user name is whatever the client claims",
                "<config>:8:20: local.embedded.permissions[3].publish[0]: <username> needs local.embedded.auth:"
                        + " without it a user name is whatever the client claims",
                "<config>:9:9: local.embedded.permissions[4]: expected a rule mapping like {publish:"
                        + " [sensors/<clientId>/#]}");
    }

    @Test
    void clientIdsUsername_loads_andContradictsAllowAnonymous() throws ConfigException {
        EmbeddedBrokerConfig embedded = load("""
                local:
                  embedded:
                    auth: { passwordFile: %s, clientIds: username }
                    permissions:
                      - publish: [ sensors/<clientId>/# ]
                """.formatted(passwd));

        assertThat(embedded.auth()).contains(new BrokerAuth(passwd, false, BrokerAuth.ClientIds.USERNAME));
        assertThat(problems("local:\n  embedded:\n    auth: { passwordFile: " + passwd
                + ", allowAnonymous: true, clientIds: username }")).containsExactly("<config>:3:" + (45
                + passwd.toString().length()) + ": local.embedded.auth.allowAnonymous: allowAnonymous: true contradicts"
                + " clientIds: username (a client without a user name has no client id it may use); leave"
                + " allowAnonymous out");
        assertThat(problems("local:\n  embedded:\n    auth: { passwordFile: " + passwd + ", clientIds: certificate }"))
                .singleElement().satisfies(p -> assertThat(p).contains("local.embedded.auth.clientIds", "any",
                        "username"));
    }

    /** Issue 14, finding 5: permissions bound to a client id any user may claim are the production example's old mistake. */
    @Test
    void permissionsBoundToAClientIdAnyUserMayClaim_areWarnedAbout_atEachFilterAndRule() throws ConfigException {
        String rules = """
                    permissions:
                      - publish: [ sensors/<clientId>/#, sensors/<username>/# ]
                        subscribe: [ commands/<clientId>/# ]
                      - clients: [ "gw-*" ]
                        subscribe: [ "#" ]
                      - clients: [ "mon-*" ]
                        users: [ alice ]
                        subscribe: [ "#" ]
                """;
        String anyIds = "local:\n  embedded:\n    auth: { passwordFile: " + passwd + " }\n" + rules;
        String userIds = "local:\n  embedded:\n    auth: { passwordFile: " + passwd + ", clientIds: username }\n" + rules;

        List<String> warnings = Yamls.load(withDefaults(anyIds)).warnings().stream().map(ConfigProblem::format).toList();

        assertThat(warnings).filteredOn(w -> w.contains("binds a permission to the client id")).containsExactly(
                "<config>:5:20: local.embedded.permissions[0].publish[0]: <clientId> binds a permission to the client"
                        + " id, which any user can claim while local.embedded.auth.clientIds is any: one user could act"
                        + " as another and take over its session; use <username> or 'users', or set auth.clientIds:"
                        + " username",
                "<config>:6:22: local.embedded.permissions[0].subscribe[0]: <clientId> binds a permission to the"
                        + " client id, which any user can claim while local.embedded.auth.clientIds is any: one user"
                        + " could act as another and take over its session; use <username> or 'users', or set"
                        + " auth.clientIds: username",
                "<config>:7:18: local.embedded.permissions[1].clients: 'clients' binds a permission to the client id,"
                        + " which any user can claim while local.embedded.auth.clientIds is any: one user could act as"
                        + " another and take over its session; use <username> or 'users', or set auth.clientIds:"
                        + " username");
        assertThat(Yamls.load(withDefaults(userIds)).warnings()).extracting(ConfigProblem::format)
                .noneMatch(w -> w.contains("binds a permission to the client id"));
    }
}
