package io.edgebridge.core.it.faults;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import io.edgebridge.config.TlsConfig;
import io.edgebridge.config.auth.PasswordFile;
import io.edgebridge.core.internal.local.auth.PasswordHashing;
import io.edgebridge.core.support.PemTls;
import io.edgebridge.core.testing.Ports;
import io.edgebridge.core.testing.TestCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code config/examples/production.yaml} as shipped (listeners, authentication, permissions,
 * routes), run on loopback: its {@code ${EDGEBRIDGE_ETC}} files made in a temporary directory (a test
 * CA's broker certificate, a password file), free ports, and its cloud sink pointed at a local broker.
 * Every device user's password is its name followed by {@code -pw}.
 */
final class ProductionExample {

    static final Path FILE = Path.of("..", "config", "examples", "production.yaml");

    private final Path etc;
    private final TestCertificates pki;
    final int plainPort = Ports.free();
    final int tlsPort = Ports.free();
    private SSLContext sslContext;

    /** Makes the files under {@code dir/etc}, with a password file for {@code users}. */
    ProductionExample(Path dir, List<String> users) throws IOException {
        etc = Files.createDirectories(dir.resolve("etc"));
        pki = TestCertificates.newCa(dir.resolve("pki"), "devices-ca");
        TestCertificates.Issued server = pki.server("broker");
        Files.copy(server.certificate(), etc.resolve("broker.crt"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(server.privateKey(), etc.resolve("broker.key"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pki.caCertificate(), etc.resolve("devices-ca.pem"), StandardCopyOption.REPLACE_EXISTING);
        SecureRandom random = new SecureRandom();
        StringBuilder passwd = new StringBuilder();
        for (String user : users) {
            passwd.append(PasswordFile.line(user, PasswordHashing.create(bytes(password(user)), random))).append('\n');
        }
        Files.writeString(etc.resolve("passwd"), passwd);
    }

    static String password(String user) {
        return user + "-pw";
    }

    /**
     * The example's YAML with the test's data directory, ports (both listeners on 127.0.0.1), an
     * in-memory broker, a small spool, and its {@code cloud} sink on {@code cloudUri}.
     */
    @SuppressWarnings("unchecked")
    String yaml(Path dataDir, String cloudUri) throws IOException {
        String text = Files.readString(FILE).replace("${EDGEBRIDGE_ETC:-/etc/edgebridge}", etc.toString());
        Map<String, Object> config = new Yaml().load(text);
        config.put("dataDir", dataDir.toString());
        Map<String, Object> embedded = (Map<String, Object>) ((Map<String, Object>) config.get("local")).get("embedded");
        List<Map<String, Object>> listeners = (List<Map<String, Object>>) embedded.get("listeners");
        listeners.get(0).put("port", plainPort);
        listeners.get(1).put("address", "127.0.0.1");
        listeners.get(1).put("port", tlsPort);
        embedded.put("persistence", "in-memory");
        ((Map<String, Object>) config.get("spool")).put("maxBytes", "64MB");
        Map<String, Object> cloud = new LinkedHashMap<>((Map<String, Object>) ((Map<String, Object>) config.get("sinks"))
                .get("cloud"));
        cloud.put("uri", cloudUri);
        cloud.remove("username");
        cloud.remove("password");
        cloud.put("reconnect", Map.of("min", "100ms", "max", "1s"));
        config.put("sinks", Map.of("cloud", cloud));
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(config);
    }

    /** A TLS client configuration trusting the test CA (no client certificate: {@code clientAuth: optional}). */
    MqttClientSslConfig clientTls() {
        return MqttClientSslConfig.builder().trustManagerFactory(trustManagers()).build();
    }

    /** For raw TLS sockets (one context, so handshakes can resume sessions). */
    synchronized SSLContext sslContext() {
        if (sslContext == null) {
            try {
                sslContext = SSLContext.getInstance("TLS");
                sslContext.init(null, trustManagers().getTrustManagers(), null);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return sslContext;
    }

    private TrustManagerFactory trustManagers() {
        try {
            return PemTls.trustManagers(new TlsConfig(Optional.of(pki.caCertificate()), Optional.empty(),
                    Optional.empty(), Optional.empty(), true)).orElseThrow();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
