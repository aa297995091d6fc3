package io.edgebridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routes written as a mapping by name, and routes from another source replacing the files' routes. */
class RoutesOverrideTest {

    @TempDir
    Path dir;

    private Path file() throws IOException {
        return Files.writeString(dir.resolve("edgebridge.yaml"), Yamls.SINKS + Yamls.ROUTES);
    }

    private static ConfigLoader loader(Map<String, String> environment) {
        return TestSinkTypes.loader(environment);
    }

    @Test
    void routesMayBeAMappingFromNameToRoute() throws ConfigException {
        BridgeConfig config = Yamls.load(Yamls.SINKS + """
                routes:
                  telemetry:
                    from: sensors/<deviceId>/data
                    to: {sink: cloud, topic: edge/<deviceId>/data}
                  commands:
                    direction: downstream
                    from: {sink: cloud, topic: cmd/<deviceId>}
                    to: devices/<deviceId>/cmd
                """);

        assertThat(config.upstreamRoutes()).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("telemetry");
            assertThat(r.location().keyPath()).isEqualTo("routes.telemetry");
        });
        assertThat(config.downstreamRoutes()).singleElement().satisfies(r -> assertThat(r.name()).isEqualTo("commands"));
    }

    @Test
    void aMappingOfRoutes_namesEachProblemByRouteName() {
        ConfigException e = Yamls.rejected(Yamls.SINKS + """
                routes:
                  telemetry:
                    name: other
                    from: sensors/<deviceId>/data
                    to: {sink: nosuch, topic: edge/<deviceId>/data}
                  broken: just-a-topic
                  "bad name!": {from: a, to: {sink: cloud, topic: b}}
                """);

        assertThat(e.problems()).extracting(ConfigProblem::format).anySatisfy(p -> assertThat(p)
                .startsWith("<config>:6:11: routes.telemetry.name: a route in a mapping is named by its key ('telemetry')"));
        assertThat(e.problems()).extracting(ConfigProblem::format).anySatisfy(p -> assertThat(p)
                .startsWith("<config>:8:16: routes.telemetry.to.sink: ").contains("nosuch"));
        assertThat(e.problems()).extracting(ConfigProblem::format).anySatisfy(p -> assertThat(p)
                .startsWith("<config>:9:11: routes.broken: expected a route mapping with from and to"));
        assertThat(e.problems()).extracting(ConfigProblem::format).anySatisfy(p -> assertThat(p)
                .startsWith("<config>:10:3: routes.bad name!: route name 'bad name!' is not valid"));
    }

    @Test
    void anEmptyMappingOfRoutes_isReported() {
        ConfigException e = Yamls.rejected(Yamls.SINKS + "routes: {}\n");

        assertThat(e.problems()).extracting(ConfigProblem::format)
                .anySatisfy(p -> assertThat(p).contains("routes: at least one route is required"));
    }

    @Test
    void anOverride_replacesTheFilesRoutes_andChangesTheFingerprint() throws Exception {
        Path file = file();
        ConfigLoader loader = loader(Map.of());
        BridgeConfig plain = loader.load(file);
        BridgeConfig overridden = loader.load(file, Optional.of(new RoutesOverride("twin", """
                {"routes": {"alarms": {"from": "alarms/<deviceId>", "to": {"sink": "out", "topic": "a/<deviceId>"}}}}
                """)));

        assertThat(overridden.upstreamRoutes()).extracting(RouteConfig::name).containsExactly("alarms");
        assertThat(overridden.sinks()).isEqualTo(plain.sinks());
        assertThat(overridden.fingerprint()).isNotEqualTo(plain.fingerprint());
        assertThat(loader.load(file, Optional.of(new RoutesOverride("twin", """
                {"routes": {"alarms": {"from": "alarms/<deviceId>", "to": {"sink": "out", "topic": "a/<deviceId>"}}}}
                """))).fingerprint()).as("same text, same fingerprint").isEqualTo(overridden.fingerprint());
    }

    @Test
    void anOverridesProblems_areReportedAgainstItsSource_andItMayHoldOnlyRoutes() throws Exception {
        Path file = file();
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader(Map.of()).load(file,
                Optional.of(new RoutesOverride("twin of sink hub", """
                        {"routes": {"alarms": {"from": "alarms/<deviceId>", "to": {"sink": "out", "topic": "a/<kind>"}}},
                         "sinks": {}}
                        """))));

        assertThat(e).isNotNull();
        assertThat(e.problems()).extracting(ConfigProblem::format)
                .anySatisfy(p -> assertThat(p).startsWith("twin of sink hub:1:").contains("kind"))
                .anySatisfy(p -> assertThat(p).startsWith("twin of sink hub:2:").contains("unknown key 'sinks'"));
    }

    @Test
    void anEmptyOverride_isRefused() throws Exception {
        Path file = file();
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader(Map.of()).load(file,
                Optional.of(new RoutesOverride("twin", "{\"routes\": {}}"))));

        assertThat(e.problems()).extracting(ConfigProblem::format)
                .anySatisfy(p -> assertThat(p).startsWith("twin:").contains("at least one route is required"));
    }

    @Test
    void anOverride_neverReadsTheEnvironment() throws Exception {
        Path file = file();
        BridgeConfig config = loader(Map.of("SECRET", "hunter2")).load(file, Optional.of(new RoutesOverride("twin", """
                {"routes": {"leak": {"from": "x/<deviceId>", "to": {"sink": "out", "topic": "edge/${SECRET}"}}}}
                """)));

        assertThat(config.upstreamRoutes().get(0).targets().get(0).topic().text()).isEqualTo("edge/${SECRET}");
    }
}
