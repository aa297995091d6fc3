package io.edgebridge.deploy;

import static io.edgebridge.deploy.DeployFiles.configArgument;
import static io.edgebridge.deploy.DeployFiles.parent;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.BrokerListener;
import io.edgebridge.config.EmbeddedBrokerConfig;
import io.edgebridge.config.ExternalBrokerConfig;
import io.edgebridge.config.RouteConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The deployment files agree with each other, with the Dockerfile and with the daemon's configuration
 * loader: image name, ports, paths, environment variables, probes, user id, stop time.
 */
class DeployManifestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The time every supervisor gives a graceful stop (Docker's default of 10 s is documented as too short). */
    private static final int STOP_TIMEOUT_SECONDS = 30;

    private final Dockerfile docker = Dockerfile.read();

    // ---------------------------------------------------------------- Dockerfile

    @Test
    void dockerfile_buildsWithJdk17_andRunsOnAGlibcBase_notAlpine() {
        assertThat(docker.stageBases()).hasSize(2);
        assertThat(docker.stageBases().get(0)).contains("maven").contains("17");
        String runtime = docker.runtimeBase();
        assertThat(runtime).as("RocksDB and aws-crt ship glibc natives").doesNotContain("alpine").doesNotContain("musl");
        assertThat(runtime).startsWith("debian:").endsWith("-slim");
        assertThat(docker.runs()).contains("mvn -B -q -pl deploy -am package")
                .contains("deploy/target/edgebridge-*.tar.gz")
                .contains("jlink --add-modules \"$JLINK_MODULES\"")
                .contains("ca-certificates");
        assertThat(docker.globalArgs().get("JLINK_MODULES").split(","))
                .contains("java.base", "jdk.unsupported", "jdk.crypto.ec", "java.management", "jdk.management");
    }

    @Test
    void dockerfile_runsAsTheFixedNonRootUser_withExecFormEntrypoint_andGracefulStop() {
        assertThat(docker.user()).isEqualTo(DockerImage.UID + ":" + DockerImage.GID);
        assertThat(docker.runs()).contains("--uid " + DockerImage.UID).contains("--gid " + DockerImage.GID)
                .contains("chown " + DockerImage.UID + ":" + DockerImage.GID + " " + docker.volumes().get(0));
        assertThat(docker.stopSignal()).isEqualTo("SIGTERM");
        List<String> entrypoint = docker.entrypoint();
        assertThat(entrypoint).containsExactly(DockerImage.installDir(docker) + "/bin/edgebridge");
        assertThat(docker.cmd()).startsWith("run");
        assertThat(docker.env()).containsEntry("JAVA_HOME", docker.destinationOf("/dist/java"));
        assertThat(docker.env().get("PATH")).startsWith(DockerImage.installDir(docker) + "/bin:");
    }

    @Test
    void dockerfile_healthCheck_runsTheHealthCommandOfTheEntrypoint() {
        Dockerfile.HealthCheck check = docker.healthCheck();
        assertThat(check.command()).containsExactly(docker.entrypoint().get(0), "health");
        assertThat(check.options()).containsKeys("interval", "timeout", "start-period", "retries");
    }

    @Test
    void dockerfile_bakedConfig_isTheCmdConfig_loads_andMatchesExposeVolumeAndWorkdir() {
        String configPath = configArgument(docker.cmd());
        assertThat(docker.destinationOf(DockerImage.BAKED_CONFIG_SOURCE)).isEqualTo(configPath);
        String yaml = DeployFiles.read(DeployFiles.REPO.resolve(DockerImage.BAKED_CONFIG_SOURCE));
        assertThat(DeployFiles.requiredEnvironment(yaml)).as("the default image needs no settings").isEmpty();
        BridgeConfig config = DeployFiles.load(yaml, DockerImage.BAKED_CONFIG_SOURCE, Map.of());

        assertThat(docker.volumes()).containsExactly(config.dataDir().toString());
        assertThat(docker.workdir()).isEqualTo(config.dataDir().toString());
        EmbeddedBrokerConfig broker = (EmbeddedBrokerConfig) config.local().broker();
        assertThat(docker.exposedPorts()).contains(config.admin().port())
                .containsAll(broker.listeners().stream().map(BrokerListener::port).toList());
        // Reachable from outside the container (port publishing, probes).
        assertThat(broker.address()).isEqualTo("0.0.0.0");
        assertThat(config.admin().address()).isEqualTo("0.0.0.0");
        assertThat(config.admin().enabled()).isTrue();
        // Everything the bridge writes is on the volume.
        assertThat(yaml).contains("path: " + config.dataDir() + "/");
        // The health check's default URL is the admin port of this configuration.
        assertThat(config.admin().port()).isEqualTo(9090);
    }

    @Test
    void dockerignore_keepsBuildOutputAndGitOutOfTheContext() throws IOException {
        List<String> lines = Files.readAllLines(DeployFiles.REPO.resolve(".dockerignore"));
        assertThat(lines).contains("**/target", ".git");
        // ... but not what the build needs.
        assertThat(lines).doesNotContain("docs", "config", "deploy", "pom.xml", "*.md");
    }

    @Test
    void distributionConfig_loads_andUsesTheImageDirectories() {
        String yaml = DeployFiles.read(DeployFiles.DIST_CONFIG);
        BridgeConfig config = DeployFiles.load(yaml, DeployFiles.DIST_CONFIG.toString(), Map.of());
        assertThat(config.dataDir().toString()).isEqualTo(docker.volumes().get(0));
        assertThat(config.admin().address()).as("private to the box on bare metal").isEqualTo("127.0.0.1");
    }

    // ---------------------------------------------------------------- Kubernetes

    @Test
    void kubernetes_statefulSet_agreesWithTheImage_andItsConfigMapLoadsWithTheSecret() {
        Kube kube = new Kube(DeployFiles.KUBERNETES);
        LoadedPod pod = checkPod(kube, "edgebridge");

        EmbeddedBrokerConfig broker = (EmbeddedBrokerConfig) pod.config().local().broker();
        assertThat(pod.containerPorts()).containsEntry("mqtt", broker.port());
        assertThat(kube.statefulSet().get("spec")).extracting(s -> ((Map<?, ?>) s).get("replicas")).isEqualTo(1);
        // The MQTT Service reaches the broker's port, and stays reachable while the cloud is down (not ready).
        Map<String, Object> mqtt = kube.service("edgebridge-mqtt");
        Map<String, Object> spec = map(mqtt.get("spec"));
        assertThat(spec.get("publishNotReadyAddresses")).isEqualTo(true);
        Map<String, Object> port = map(list(spec.get("ports")).get(0));
        assertThat(pod.containerPorts()).containsKey((String) port.get("targetPort"));
        assertThat(port.get("port")).isEqualTo(broker.port());
    }

    @Test
    void kubernetes_scaleOut_usesAnExternalBrokerWithASharedGroup_andAVolumePerReplica() {
        Kube kube = new Kube(DeployFiles.KUBERNETES_SCALE_OUT);
        LoadedPod pod = checkPod(kube, "edgebridge-scale-out-0");

        assertThat(pod.config().local().broker()).isInstanceOf(ExternalBrokerConfig.class);
        assertThat(pod.config().local().sharedGroup()).isPresent();
        assertThat(pod.config().downstreamRoutes()).as("they would run once per replica").isEmpty();
        assertThat(pod.config().warnings()).isEmpty();
        // Client ids come from the pod name, which a StatefulSet keeps across restarts.
        assertThat(pod.config().local().endpoint().clientId()).isEqualTo("edgebridge-edgebridge-scale-out-0");
        Map<String, Object> spec = map(kube.statefulSet().get("spec"));
        assertThat((Integer) spec.get("replicas")).isGreaterThan(1);
        assertThat(pod.containerPorts()).doesNotContainKey("mqtt");
    }

    record LoadedPod(BridgeConfig config, Map<String, Integer> containerPorts) {
    }

    /** The checks every EdgeBridge StatefulSet passes; returns its configuration loaded as the pod would. */
    private LoadedPod checkPod(Kube kube, String podName) {
        Map<String, Object> statefulSet = kube.statefulSet();
        Map<String, Object> spec = map(statefulSet.get("spec"));
        Map<String, Object> podSpec = map(map(spec.get("template")).get("spec"));
        Map<String, Object> container = map(list(podSpec.get("containers")).get(0));

        // Image: the same name as the IoT Edge module's, tagged with the project version.
        assertThat(container.get("image")).isEqualTo(iotEdgeImage());
        // Command: the image's ENTRYPOINT with its CMD.
        assertThat(container.get("command")).isNull();
        assertThat(container.get("args")).isEqualTo(docker.cmd());

        // Non-root as in the image; the volume writable through fsGroup.
        Map<String, Object> security = map(podSpec.get("securityContext"));
        assertThat(security).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", DockerImage.UID)
                .containsEntry("runAsGroup", DockerImage.GID).containsEntry("fsGroup", DockerImage.GID);
        Map<String, Object> containerSecurity = map(container.get("securityContext"));
        assertThat(containerSecurity).containsEntry("allowPrivilegeEscalation", false);
        assertThat(podSpec.get("terminationGracePeriodSeconds")).isEqualTo(STOP_TIMEOUT_SECONDS);

        // Mounts: the ConfigMap where CMD's --config points, a claim per replica on the VOLUME, a /tmp
        // for the natives when the root file system is read-only.
        String configPath = configArgument(docker.cmd());
        Map<String, String> mounts = new HashMap<>();
        for (Object m : list(container.get("volumeMounts"))) {
            mounts.put((String) map(m).get("name"), (String) map(m).get("mountPath"));
        }
        Map<String, Map<String, Object>> volumes = new HashMap<>();
        for (Object v : list(podSpec.get("volumes"))) {
            volumes.put((String) map(v).get("name"), map(v));
        }
        String configVolume = mounts.entrySet().stream().filter(e -> e.getValue().equals(parent(configPath)))
                .map(Map.Entry::getKey).findFirst().orElseThrow(() -> new AssertionError("nothing mounted at "
                        + parent(configPath) + ": " + mounts));
        String configMapName = (String) map(volumes.get(configVolume).get("configMap")).get("name");
        Map<String, Object> configMap = kube.find("ConfigMap", configMapName);
        String yaml = (String) map(configMap.get("data")).get(configPath.substring(configPath.lastIndexOf('/') + 1));
        assertThat(yaml).as("ConfigMap %s has the file %s", configMapName, configPath).isNotNull();

        String dataVolume = mounts.entrySet().stream().filter(e -> e.getValue().equals(docker.volumes().get(0)))
                .map(Map.Entry::getKey).findFirst().orElseThrow(() -> new AssertionError("nothing mounted at "
                        + docker.volumes().get(0) + ": " + mounts));
        List<String> claims = list(spec.get("volumeClaimTemplates")).stream()
                .map(c -> (String) map(map(c).get("metadata")).get("name")).toList();
        assertThat(claims).contains(dataVolume);
        if (Boolean.TRUE.equals(containerSecurity.get("readOnlyRootFilesystem"))) {
            assertThat(mounts).containsValue("/tmp");
            String tmp = mounts.entrySet().stream().filter(e -> e.getValue().equals("/tmp")).findFirst().orElseThrow()
                    .getKey();
            assertThat(volumes.get(tmp)).containsKey("emptyDir");
        }

        // Environment: every ${NAME} of the configuration comes from env or an envFrom Secret of this file.
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("HOSTNAME", podName); // set by Kubernetes in every pod
        for (Object e : list(container.getOrDefault("env", List.of()))) {
            environment.put((String) map(e).get("name"), String.valueOf(map(e).get("value")));
        }
        for (Object from : list(container.getOrDefault("envFrom", List.of()))) {
            Map<String, Object> secretRef = map(map(from).get("secretRef"));
            Map<String, Object> secret = kube.find("Secret", (String) secretRef.get("name"));
            map(secret.get("stringData")).forEach((k, v) -> environment.put(k, String.valueOf(v)));
        }
        assertThat(environment.keySet()).containsAll(DeployFiles.requiredEnvironment(yaml));
        BridgeConfig config = DeployFiles.load(yaml, "ConfigMap " + configMapName, environment);
        assertThat(config.dataDir().toString()).isEqualTo(docker.volumes().get(0));

        // Ports: declared in the image, and the admin port is what the probes ask.
        Map<String, Integer> ports = new HashMap<>();
        for (Object p : list(container.get("ports"))) {
            ports.put((String) map(p).get("name"), (Integer) map(p).get("containerPort"));
        }
        assertThat(docker.exposedPorts()).containsAll(ports.values());
        assertThat(ports).containsEntry("admin", config.admin().port());
        assertThat(config.admin().address()).as("probes come from outside the pod's loopback").isEqualTo("0.0.0.0");
        Map<String, Object> liveness = map(map(container.get("livenessProbe")).get("httpGet"));
        Map<String, Object> readiness = map(map(container.get("readinessProbe")).get("httpGet"));
        assertThat(liveness).containsEntry("path", "/health/live").containsEntry("port", "admin");
        assertThat(readiness).containsEntry("path", "/health/ready").containsEntry("port", "admin");
        // Services select these pods and name ports they have.
        Map<String, Object> labels = map(map(map(spec.get("template")).get("metadata")).get("labels"));
        for (Map<String, Object> service : kube.all("Service")) {
            Map<String, Object> serviceSpec = map(service.get("spec"));
            assertThat(labels).containsAllEntriesOf(map(serviceSpec.get("selector")));
            for (Object p : list(serviceSpec.get("ports"))) {
                assertThat(ports).containsKey((String) map(p).get("targetPort"));
            }
        }
        assertThat(map(spec.get("selector")).get("matchLabels")).isEqualTo(labels);
        assertThat(kube.find("Service", (String) spec.get("serviceName"))).isNotNull();
        return new LoadedPod(config, ports);
    }

    // ---------------------------------------------------------------- IoT Edge

    @Test
    void iotEdge_moduleJson_buildsTheDockerfile_fromTheRepositoryRoot_atTheProjectVersion() throws IOException {
        JsonNode module = JSON.readTree(DeployFiles.IOT_EDGE_MODULE.toFile());
        Path folder = DeployFiles.IOT_EDGE_MODULE.getParent();
        JsonNode image = module.get("image");
        assertThat(image.get("tag").get("version").asText()).isEqualTo(DeployFiles.version());
        assertThat(folder.resolve(image.get("contextPath").asText()).normalize()).isEqualTo(DeployFiles.REPO);
        Iterator<Map.Entry<String, JsonNode>> platforms = image.get("tag").get("platforms").fields();
        List<String> names = new ArrayList<>();
        while (platforms.hasNext()) {
            Map.Entry<String, JsonNode> platform = platforms.next();
            names.add(platform.getKey());
            assertThat(folder.resolve(platform.getValue().asText()).normalize()).isEqualTo(Dockerfile.PATH);
        }
        // The shaded natives are kept for linux x86_64 and aarch64 only.
        assertThat(names).containsExactlyInAnyOrder("amd64", "arm64v8");
        assertThat(image.get("repository").asText()).endsWith("/edgebridge");
    }

    @Test
    void iotEdge_deployment_agreesWithTheImage_andRoutesTheModuleOutputUpstream() throws IOException {
        JsonNode content = JSON.readTree(DeployFiles.IOT_EDGE_TEMPLATE.toFile()).get("modulesContent");
        JsonNode agent = content.get("$edgeAgent").get("properties.desired");
        JsonNode module = agent.get("modules").get("edgebridge");
        assertThat(module.get("restartPolicy").asText()).isEqualTo("always");
        assertThat(module.get("status").asText()).isEqualTo("running");
        assertThat(module.get("settings").get("image").asText()).isEqualTo(iotEdgeImage());
        JsonNode create = module.get("settings").get("createOptions");

        assertThat(JSON.convertValue(create.get("Cmd"), List.class)).isEqualTo(docker.cmd());
        assertThat(create.get("StopTimeout").asInt()).isEqualTo(STOP_TIMEOUT_SECONDS);
        Set<Integer> exposed = ports(create.get("ExposedPorts"));
        Set<Integer> bound = ports(create.get("HostConfig").get("PortBindings"));
        assertThat(docker.exposedPorts()).containsAll(exposed).containsAll(bound);
        assertThat(exposed).containsAll(bound);
        // The admin port (no authentication) only on the host's loopback.
        JsonNode admin = create.get("HostConfig").get("PortBindings").get("9090/tcp");
        assertThat(admin.get(0).get("HostIp").asText()).isEqualTo("127.0.0.1");
        // No host port is bound twice (edgeHub binds 8883 by default: not in this manifest).
        Set<String> hostPorts = new HashSet<>();
        for (JsonNode m : List.of(module, agent.get("systemModules").get("edgeHub"))) {
            m.get("settings").get("createOptions").path("HostConfig").path("PortBindings")
                    .forEach(bindings -> bindings.forEach(b -> assertThat(hostPorts.add(b.get("HostPort").asText()))
                            .as("host port %s bound twice", b.get("HostPort").asText()).isTrue()));
        }

        // Binds: the data directory on the VOLUME, the configuration (and certificates) where CMD points.
        Map<String, String> binds = new HashMap<>();
        create.get("HostConfig").get("Binds").forEach(b -> {
            String[] parts = b.asText().split(":");
            binds.put(parts[1], parts.length > 2 ? parts[2] : "rw");
        });
        assertThat(binds).containsEntry(docker.volumes().get(0), "rw")
                .containsEntry(parent(configArgument(docker.cmd())), "ro");

        // edgeHub forwards the module's output (the sink's default `output`) to IoT Hub.
        JsonNode routes = content.get("$edgeHub").get("properties.desired").get("routes");
        List<String> all = new ArrayList<>();
        routes.forEach(r -> all.add(r.asText()));
        assertThat(all).contains("FROM /messages/modules/edgebridge/outputs/output1 INTO $upstream");
    }

    /**
     * The module twin's desired routes, read exactly as the running module reads them (the example
     * module configuration's routes replaced by the twin's, {@link io.edgebridge.config.RoutesOverride}),
     * and the same as that example's own routes, which run until the twin has been read.
     */
    @Test
    void iotEdge_desiredRoutes_loadAsTheModuleReadsThem_andMatchTheExampleModuleConfig() throws Exception {
        JsonNode desired = JSON.readTree(DeployFiles.IOT_EDGE_TEMPLATE.toFile()).get("modulesContent")
                .get("edgebridge").get("properties.desired").get("routes");
        assertThat(desired.size()).isPositive();
        Path example = DeployFiles.REPO.resolve("config/examples/iot-edge-module.yaml");
        io.edgebridge.config.ConfigLoader loader = new io.edgebridge.config.ConfigLoader(
                io.edgebridge.core.internal.SinkFactories.load(), Map.<String, String>of()::get);
        BridgeConfig files = loader.load(example);
        String twin = JSON.writeValueAsString(Map.of("routes", desired));
        BridgeConfig withTwin;
        try {
            withTwin = loader.load(example, java.util.Optional.of(
                    new io.edgebridge.config.RoutesOverride("twin of sink edge", twin)));
        } catch (io.edgebridge.config.ConfigException e) {
            throw new AssertionError("the desired routes do not load: " + e.problems(), e);
        }
        assertThat(withTwin.routes()).extracting(RouteConfig::name)
                .containsExactlyElementsOf(iterable(desired.fieldNames()));
        assertThat(withTwin.routes()).as("the example's routes are the deployment's desired routes")
                .usingRecursiveFieldByFieldElementComparator(org.assertj.core.api.recursive.comparison
                        .RecursiveComparisonConfiguration.builder().withIgnoredFieldsMatchingRegexes(".*location").build())
                .isEqualTo(files.routes());
    }

    private static List<String> iterable(Iterator<String> names) {
        List<String> list = new ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }

    // ---------------------------------------------------------------- helpers

    /** {@code registry/edgebridge:<version>} from module.json. */
    private static String iotEdgeImage() {
        try {
            JsonNode image = JSON.readTree(DeployFiles.IOT_EDGE_MODULE.toFile()).get("image");
            return image.get("repository").asText() + ":" + image.get("tag").get("version").asText();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Set<Integer> ports(JsonNode node) {
        Set<Integer> ports = new HashSet<>();
        node.fieldNames().forEachRemaining(k -> ports.add(Integer.parseInt(k.replace("/tcp", ""))));
        return ports;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return (List<Object>) o;
    }

    /** The documents of one Kubernetes manifest file. */
    static final class Kube {
        private final Path file;
        private final List<Map<String, Object>> documents;

        Kube(Path file) {
            this.file = file;
            this.documents = DeployFiles.yamlDocuments(file);
        }

        List<Map<String, Object>> all(String kind) {
            return documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        }

        Map<String, Object> find(String kind, String name) {
            return all(kind).stream().filter(d -> name.equals(map(d.get("metadata")).get("name"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + file));
        }

        Map<String, Object> statefulSet() {
            List<Map<String, Object>> sets = all("StatefulSet");
            assertThat(sets).as("one StatefulSet in %s", file).hasSize(1);
            return sets.get(0);
        }

        Map<String, Object> service(String name) {
            return find("Service", name);
        }
    }
}
