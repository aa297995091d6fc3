package io.edgebridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.regex.Pattern;

/** Small YAML documents for loader tests. */
final class Yamls {

    static final String SINKS = """
            sinks:
              cloud: {type: mqtt, uri: "mqtt://broker.example.com:1883"}
              out: {type: file, path: out/messages.jsonl}
            """;

    static final String ROUTES = """
            routes:
              - name: telemetry
                from: sensors/<deviceId>/data
                to:
                  - {sink: cloud, topic: edge/<deviceId>/data}
                  - {sink: out, topic: edge/<deviceId>/data}
            """;

    private Yamls() {
    }

    /** {@code head} followed by the sinks and routes sections it does not define itself. */
    static String withDefaults(String head) {
        StringBuilder yaml = new StringBuilder(head);
        if (!head.endsWith("\n")) {
            yaml.append('\n');
        }
        if (!Pattern.compile("^sinks:", Pattern.MULTILINE).matcher(head).find()) {
            yaml.append(SINKS);
        }
        if (!Pattern.compile("^routes:", Pattern.MULTILINE).matcher(head).find()) {
            yaml.append(ROUTES);
        }
        return yaml.toString();
    }

    static BridgeConfig load(String yaml) throws ConfigException {
        return TestSinkTypes.loader().parse(yaml, "test");
    }

    /** Parses {@code yaml}, which must be rejected, and returns the exception. */
    static ConfigException rejected(ConfigLoader loader, String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "test"));
        assertThat(e).as("expected problems in:%n%s", yaml).isNotNull();
        return e;
    }

    static ConfigException rejected(String yaml) {
        return rejected(TestSinkTypes.loader(), yaml);
    }
}
