package io.edgebridge.config;

import static io.edgebridge.config.Yamls.rejected;
import static io.edgebridge.config.Yamls.withDefaults;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One mistake per case: the loader reports it at the right line with a message that says what was expected. */
class ConfigLoaderProblemsTest {

    static Stream<Arguments> mistakes() {
        return Stream.of(
                // top level and small sections
                Arguments.of("dataDir: [a, b]", "dataDir: expected a single value (scalar), not a list", 1),
                Arguments.of("stats:\n  interval: 10s", "unknown key 'interval'; expected one of: logInterval", 2),
                Arguments.of("stats:\n  logInterval: often", "expected a duration like 500ms, 10s, 5m, 2h or 7d", 2),
                Arguments.of("reload:\n  watch: yes", "reload.watch: ", 2),
                Arguments.of("reload:\n  interval: 10ms", "reload.interval: ", 2),
                Arguments.of("reload:\n  poll: 1s", "unknown key 'poll'; expected one of: interval, watch", 2),
                Arguments.of("spool:\n  maxAge: -1d", "spool.maxAge: expected a duration like", 2),
                Arguments.of("spool:\n  maxBytes: 1.5XB", "expected a size like 512, 64KB, 100MB or 2GB", 2),
                Arguments.of("spool: drop-oldest", "spool: expected a mapping, not a single value", 1),
                Arguments.of("deadLetter:\n  maxAttempts: 0", "expected a number from 1 to 1000; got '0'", 2),
                Arguments.of("deadLetter:\n  topic: $dead/<route>", "a dead-letter topic must not start with '$'", 2),
                Arguments.of("deadLetter:\n  topic: ''", "deadLetter.topic: must not be empty", 2),
                Arguments.of("route: []", "unknown key 'route' (did you mean 'routes'?)", 1),
                Arguments.of("admin:\n  prot: 9091", "unknown key 'prot' (did you mean 'port'?)", 2),
                Arguments.of("admin:\n  port: 70000", "admin.port: expected a number from 0 to 65535", 2),
                Arguments.of("admin:\n  enabled: yes", "admin.enabled: ", 2),
                Arguments.of("admin:\n  address: ''", "expected a listen address like 127.0.0.1", 2),
                Arguments.of("admin:\n  readyWindow: 500ms", "admin.readyWindow: expected a duration of at least 1s", 2),
                // local broker
                Arguments.of("local:\n  broker: embedded\n  password: x",
                        "'password' only applies to an external broker (local.broker: mqtt://...)", 3),
                Arguments.of("local:\n  broker: mqtt://127.0.0.1:1883\n  tls: {ca: /x}", "tls applies only to mqtts:// URIs", 3),
                Arguments.of("local:\n  broker: mqtt://user:pw@127.0.0.1:1883",
                        "put credentials in username/password, not in the URI", 2),
                Arguments.of("local:\n  broker: mqtt://127.0.0.1:1883\n  embedded: {port: 1884}",
                        "local.embedded only applies when local.broker is embedded", 3),
                Arguments.of("local:\n  embedded:\n    persistence: disk", "expected one of: file, in-memory; got 'disk'", 3),
                Arguments.of("local:\n  embedded:\n    queueStrategy: discard_oldest",
                        "expected one of: discard, discard-oldest (did you mean discard-oldest?)", 3),
                Arguments.of("local:\n  embedded:\n    intake: extensions", "(did you mean extension?)", 3),
                Arguments.of("local:\n  embedded:\n    maxQueueSize: 0", "expected a number from 1 to 1000000000", 3),
                Arguments.of("local:\n  embedded:\n    prot: 1883", "unknown key 'prot' (did you mean 'port'?)", 3),
                Arguments.of("local:\n  keepAlive: 70000s", "expected a duration from 0 to 65535s", 2),
                Arguments.of("local:\n  clientId: ''", "expected a client identifier, not an empty value", 2),
                // sinks
                Arguments.of("sinks:\n  " + "s".repeat(65) + ": {type: file, path: x}", "is not valid", 2),
                Arguments.of("sinks:\n  cloud: mqtt", "expected a mapping with the sink's settings", 2),
                Arguments.of("sinks:\n  out: {type: file, path: x, required: maybe}", "sinks.out.required: ", 2),
                Arguments.of("sinks:\n  out: {type: file, path: x, probe: edge/probe}",
                        "sinks.out.probe: expected a mapping, not a single value", 2),
                Arguments.of("sinks:\n  out:\n    type: file\n    path: x\n    probe: {interval: 10s}",
                        "sinks.out.probe.topic: 'topic' is required", 5),
                Arguments.of("sinks:\n  out:\n    type: file\n    path: x\n    probe: {topic: edge/+/probe}",
                        "expected a topic name to publish to: topic contains the wildcard '+'", 5),
                Arguments.of("sinks:\n  out:\n    type: file\n    path: x\n    probe: {topic: $sys/probe}",
                        "topic starts with '$'", 5),
                Arguments.of("sinks:\n  out:\n    type: file\n    path: x\n    probe: {topic: p, interval: 500ms}",
                        "sinks.out.probe.interval: expected a duration of at least 1s", 5),
                Arguments.of("sinks:\n  out:\n    type: file\n    path: x\n    probe: {topic: p, every: 5s}",
                        "unknown key 'every'; expected one of: interval, topic", 5),
                Arguments.of("sinks:\n  cloud:\n  out: {type: file, path: x}", "expected a mapping with the sink's settings", 2),
                Arguments.of("sinks:\n  cloud:\n    uri: mqtt://h:1883", "'type' is required", 3),
                Arguments.of("sinks:\n  cloud: {type: mqtt, uri: \"mqtt://h:1883\", clientId: ''}",
                        "expected a client identifier", 2),
                Arguments.of("sinks:\n  cloud:\n    type: mqtt\n    uri: mqtt://h:1883/devices",
                        "a broker URI has no path, query or fragment", 4),
                Arguments.of("sinks:\n  cloud:\n    type: mqtt\n    uri: broker.example.com:1883",
                        "expected a URI like mqtt://host:port", 4),
                Arguments.of("sinks:\n  cloud:\n    type: mqtt\n    uri: mqtt://bad_host:1883", "no valid host or port", 4),
                Arguments.of("sinks:\n  cloud:\n    type: mqtt\n    uri: mqtt://h\n    reconnect: {jitter: 1.5}",
                        "expected a number from 0 to 1; got '1.5'", 5),
                Arguments.of("sinks:\n  cloud:\n    type: mqtt\n    uri: mqtt://h\n    reconnect:\n      mn: 1s",
                        "unknown key 'mn' (did you mean 'min'?)", 6),
                Arguments.of("sinks:\n  cloud:\n    type: mqtt\n    uri: mqtt://h\n    connectTimeout: 500ms",
                        "expected a duration from 1s to 5m; got '500ms'", 5),
                Arguments.of("sinks:\n  cloud:\n    type: mqtts\n    uri: mqtt://h", "(did you mean 'mqtt'?)", 3),
                Arguments.of("sinks:\n  cloud:\n    type: s3\n    uri: mqtt://h", "unknown sink type 's3'; known types: failover, file, mqtt", 3),
                Arguments.of("sinks:\n  cloud:\n    type: mqtt\n    uri: mqtts://h\n    tls:\n      privateKeyPassword: x",
                        "privateKeyPassword applies only with privateKey", 6),
                Arguments.of("sinks:\n  cloud:\n    type: mqtt\n    uri: mqtts://h\n    tls:\n      verifyHostname: no",
                        "expected true or false; got 'no'", 6),
                Arguments.of("sinks:\n  out:\n    type: file\n    path: x\n    maxFileSize: 1", "expected a size of at least 1KB", 5),
                Arguments.of("sinks:\n  out:\n    type: file\n    path: ''", "sinks.out.path: must not be empty", 4),
                // upstream routes
                Arguments.of("routes:\n  - telemetry", "expected a route mapping with name, from and to", 2),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: cloud",
                        "expected a list of targets, or one target mapping", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: [cloud]", "expected a target mapping like", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    qos: 0\n    to: [{sink: cloud, topic: b}]",
                        "'qos' belongs in each target under 'to' when the route has 'to'", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: {sink: cloud, topic: b/<x>, qos: -1}",
                        "expected a number from 0 to 2; got '-1'", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: {sink: cloud, topic: b, payload: json}",
                        "expected one of: raw, envelope, template", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: {sink: cloud, topic: b, properties: {id: <X>}}",
                        "route 't': <X> is not bound (did you mean <x>?); this route binds: x; built-ins: topic, route, sink, timestamp", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: {sink: cloud, topic: b, properties: {id: }}",
                        "'id' needs a value (a template)", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: {sink: cloud, topic: b, properties: [x]}",
                        "expected a mapping, not a list", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: {sink: cloud, topic: b, contentType: <type>}",
                        "<type> is not bound", 4),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    sink: cloud\n    topic: b/<#>", "<#> is not bound: only a filter ending in '#' binds <#>; this route binds: x", 5),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    sink: cloud\n    topic: b\n    payload: template\n    template: <payload>-<y>",
                        "<y> is not bound", 7),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    sink: cloud\n    topic: b\n    qos: 3", "expected a number from 0 to 2", 6),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    sink: cloud\n    topic: b\n    qoss: 1", "unknown key 'qoss' (did you mean 'qos'?)", 6),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    sink: cloud", "'topic' is required", 2),
                Arguments.of("routes:\n  - name: t\n    from: a/<x>\n    to: {sink: cloud, topic: \"b/\\0\"}", "NUL", 4),
                Arguments.of("routes:\n  - name: t\n    from: ''\n    to: {sink: cloud, topic: b}", "topic filter is empty", 3),
                Arguments.of("routes:\n  - name: t\n    direction: sideways\n    from: a\n    to: {sink: cloud, topic: b}",
                        "expected one of: upstream, downstream; got 'sideways'", 3),
                // downstream routes
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: [cloud]\n    to: x",
                        "expected {sink: ..., topic: ...} or a topic filter with 'sink' on the route", 4),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: cloud, topic: c}\n    sink: cloud\n    to: x",
                        "give the sink either in 'from' or on the route, not both", 5),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: cloud, topic: c}",
                        "a downstream route needs 'to'", 2),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: cloud, topic: c}\n    to: {topic: x, qos: 1}",
                        "unknown key 'qos'; expected one of: payload, properties, retain, template, topic", 5),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: cloud, topic: c}\n    to: {retain: true}",
                        "'topic' is required", 5),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: cloud, topic: c/<id>}\n    to: l/<id>/<timestamp>",
                        "<timestamp> would make a new topic for every message", 5),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: cloud, topic: c/<id>}\n    to: l/<id>/+",
                        "cannot contain the wildcard '+'", 5),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: clowd, topic: c}\n    to: x",
                        "unknown sink 'clowd' (did you mean 'cloud'?)", 4),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: cloud}\n    to: x",
                        "'topic' is required: the sink's topic filter", 4),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    from: {sink: cloud, topic: c, qos: 1}\n    to: x",
                        "unknown key 'qos'; expected one of: sink, topic", 4),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    sink: cloud\n    from: c/<id>\n    to: {topic: l/<id>, payload: template}",
                        "payload: template needs a 'template'", 6),
                Arguments.of("routes:\n  - name: d\n    direction: downstream\n    sink: cloud\n    from: c/<id>\n    to: l\n    topic: x",
                        "unknown key 'topic'", 7),
                // YAML itself
                Arguments.of("? [a, b]\n: c", "a key must be a plain name, not a list or mapping", 1),
                Arguments.of("stats:\n  logInterval: 10s\n  logInterval: 20s", "duplicate key 'logInterval' (first at line 2)", 3),
                Arguments.of("stats: {logInterval: 10s", "YAML syntax", 2));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("mistakes")
    void reportsTheMistake(String head, String expected, int line) {
        ConfigException e = rejected(withDefaults(head));

        assertThat(e.problems()).as(e.getMessage()).anySatisfy(p -> {
            assertThat(p.format()).contains(expected);
            assertThat(p.location().line()).isEqualTo(line);
        });
    }

    @Test
    void aSyntaxErrorIsTheOnlyProblemOfItsDocument() {
        ConfigException e = rejected("sinks:\n  cloud: {type: mqtt\nroutes: x\n");

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).startsWith("YAML syntax: ");
            assertThat(p.location().line()).isEqualTo(3);
        });
    }

    @Test
    void anInvalidFilterDoesNotAlsoReportTheTemplatesUsingItsBindings() {
        ConfigException e = rejected(withDefaults(
                "routes:\n  - name: t\n    from: a/#/<x>\n    to: {sink: cloud, topic: b/<x>, properties: {p: <x>}}"));

        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.message()).contains("'#' must be the last"));
    }

    @Test
    void problemsAreListedInLineOrderAndTheSummaryCountsThem() {
        ConfigException e = rejected(withDefaults("stats:\n  logInterval: x\nspool:\n  maxAge: y\n"));

        assertThat(e.problems()).extracting(p -> p.location().line()).containsExactly(2, 4);
        assertThat(e.getMessage()).startsWith("2 problems in the configuration:\n  <config>:2:16: stats.logInterval: ");
    }

    @Test
    void aTooManyAliasesDocumentIsRefused() {
        StringBuilder yaml = new StringBuilder("a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n");
        yaml.append("c: [");
        for (int i = 0; i < 60; i++) {
            yaml.append(i == 0 ? "" : ", ").append("*b");
        }
        yaml.append("]\n");

        ConfigException e = rejected(yaml.toString());

        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.message()).startsWith("YAML: ")
                .contains("50"));
    }
}
