package io.edgebridge.azure;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.edgebridge.core.testing.TestCertificates;
import io.edgebridge.core.testing.TlsBrokerStandIn;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for Azure IoT Hub: embedded HiveMQ CE with a TLS listener on port 8883 (the SDK's
 * fixed MQTT port) of a loopback address of its own (127.0.0.x, so several can coexist; the
 * device's connection string names it {@code hub-N.azure-devices.net}, which the test JVM's hosts
 * file resolves there; {@code GatewayHostName} would make the SDK skip the cloud-to-device
 * subscription, as it does for an IoT Edge gateway), accepting any
 * credentials, and a plain listener on 127.0.0.1 for the test's cloud-side clients. Its extension
 * records each device's CONNECT (user name, whether the password is a SAS token) and every PUBACK a
 * device sends (the acknowledgement of a cloud-to-device message), and publishes as the hub.
 */
final class IotHubStandIn implements AutoCloseable {

    static final int MQTT_PORT = 8883;
    private static final String PASSWORD = "stand-in";

    private final String address;
    private final TlsBrokerStandIn broker;
    private final Records records = new Records();

    /** What the extension saw, shared across restarts. */
    static final class Records {
        final List<String> userNames = new CopyOnWriteArrayList<>();
        final List<String> passwords = new CopyOnWriteArrayList<>();
        final List<Long> devicePubacks = new CopyOnWriteArrayList<>();
        /** Payloads the device published (D2C), with how often: counted at the broker, across restarts. */
        final java.util.Map<String, Integer> received = new java.util.concurrent.ConcurrentHashMap<>();
        /** The twin: desired and reported documents with their versions (merge-patched as IoT Hub does). */
        final JsonObject desired = new JsonObject();
        final JsonObject reported = new JsonObject();
        int desiredVersion = 1;
        int reportedVersion = 1;
        /** Reported-property patches the device sent, in order. */
        final List<String> reportedPatches = new CopyOnWriteArrayList<>();
        /** Direct method calls waiting for the device's response, by request id. */
        final Map<String, CompletableFuture<MethodResult>> methods = new ConcurrentHashMap<>();
        final AtomicInteger requestIds = new AtomicInteger();
        final AtomicInteger twinReads = new AtomicInteger();
    }

    /** A device's direct method response: the status it chose and its JSON payload. */
    record MethodResult(int status, String payload) {
    }

    /** D2C payloads received from the device (duplicates counted), across restarts. */
    java.util.Map<String, Integer> received() {
        return java.util.Map.copyOf(records.received);
    }

    /** Presents a certificate of {@code pki} for the stand-in's address. */
    IotHubStandIn(Path dir, TestCertificates pki) throws Exception {
        this.address = freeLoopbackAddress();
        TestCertificates.Issued server = pki.server("iot-hub-stand-in", address, hostName());
        this.broker = new TlsBrokerStandIn(dir, "iot-hub", server, address, MQTT_PORT, Optional.empty(),
                () -> new Recording(records));
    }

    /**
     * A 127.0.0.N address (N in 10..59, named hub-N.azure-devices.net in the test hosts file) whose
     * port 8883 is free.
     */
    private static String freeLoopbackAddress() {
        for (int attempt = 0; attempt < 50; attempt++) {
            String candidate = "127.0.0." + ThreadLocalRandom.current().nextInt(10, 60);
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(InetAddress.getByName(candidate), MQTT_PORT));
                return candidate;
            } catch (java.io.IOException e) {
                // taken: try another
            }
        }
        throw new IllegalStateException("no loopback address with a free port 8883");
    }

    IotHubStandIn start() throws Exception {
        broker.start();
        return this;
    }

    void stop() throws Exception {
        broker.stop();
    }

    /** The address the device connects to. */
    String address() {
        return address;
    }

    /** The hub's host name: resolves to {@link #address()} through the test hosts file. */
    String hostName() {
        return "hub-" + address.substring(address.lastIndexOf('.') + 1) + ".azure-devices.net";
    }

    int plainPort() {
        return broker.plainPort();
    }

    Records records() {
        return records;
    }

    /**
     * Sends a cloud-to-device message as IoT Hub does: QoS 1 to
     * {@code devices/<device>/messages/devicebound/%24.to=...&<url-encoded properties>}.
     */
    void sendCloudToDevice(String device, Map<String, String> properties, String payload) throws Exception {
        // IoT Hub always starts with $.to (the SDK reads properties from the first '%24' on).
        List<String> parts = new ArrayList<>();
        parts.add("%24.to=" + URLEncoder.encode("/devices/" + device + "/messages/deviceBound", StandardCharsets.UTF_8));
        properties.forEach((k, v) -> parts.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        TlsBrokerStandIn.publishAsService("devices/" + device + "/messages/devicebound/" + String.join("&", parts),
                payload, Qos.AT_LEAST_ONCE).get(10, TimeUnit.SECONDS);
    }

    /**
     * Patches the desired properties as a back end does (a JSON merge patch; null removes) and
     * sends the patch to the device with the new version.
     */
    void patchDesired(String patchJson) {
        JsonObject patch = JsonParser.parseString(patchJson).getAsJsonObject();
        int version;
        synchronized (records) {
            mergePatch(records.desired, patch);
            version = ++records.desiredVersion;
        }
        JsonObject sent = patch.deepCopy();
        sent.addProperty("$version", version);
        publishToDevice("$iothub/twin/PATCH/properties/desired/?$version=" + version, sent.toString());
    }

    /** Sets the desired properties before the device connects (no patch is sent). */
    void setDesired(String desiredJson) {
        synchronized (records) {
            records.desired.entrySet().clear();
            mergePatch(records.desired, JsonParser.parseString(desiredJson).getAsJsonObject());
            records.desiredVersion++;
        }
    }

    int desiredVersion() {
        synchronized (records) {
            return records.desiredVersion;
        }
    }

    /** The reported properties as IoT Hub holds them now. */
    JsonObject reported() {
        synchronized (records) {
            return records.reported.deepCopy();
        }
    }

    /** Invokes a direct method on the device; completes with its response (the test bounds the wait). */
    CompletableFuture<MethodResult> invokeMethod(String method, String payloadJson) {
        String rid = Integer.toString(records.requestIds.incrementAndGet());
        CompletableFuture<MethodResult> result = new CompletableFuture<>();
        records.methods.put(rid, result);
        publishToDevice("$iothub/methods/POST/" + method + "/?$rid=" + rid, payloadJson);
        return result;
    }

    private static void publishToDevice(String topic, String payload) {
        TlsBrokerStandIn.publishAsService(topic, payload, Qos.AT_MOST_ONCE);
    }

    /** RFC 7386 JSON merge patch, in place. */
    static void mergePatch(JsonObject target, JsonObject patch) {
        for (Map.Entry<String, JsonElement> e : patch.entrySet()) {
            if (e.getValue().isJsonNull()) {
                target.remove(e.getKey());
            } else if (e.getValue().isJsonObject() && target.has(e.getKey()) && target.get(e.getKey()).isJsonObject()) {
                mergePatch(target.getAsJsonObject(e.getKey()), e.getValue().getAsJsonObject());
            } else {
                target.add(e.getKey(), e.getValue().deepCopy());
            }
        }
    }

    /** A query parameter of an IoT Hub topic ({@code ...?$rid=7&$version=3}). */
    static String query(String topic, String name) {
        int q = topic.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String part : topic.substring(q + 1).split("&")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return null;
    }

    /** The properties IoT Hub would decode from a telemetry topic {@code devices/<id>/messages/events/<props>}. */
    static Map<String, String> eventProperties(String topic) {
        String marker = "/messages/events/";
        int at = topic.indexOf(marker);
        Map<String, String> properties = new LinkedHashMap<>();
        if (at < 0) {
            return properties;
        }
        String encoded = topic.substring(at + marker.length());
        for (String part : encoded.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String k = java.net.URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : java.net.URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            properties.put(k, v);
        }
        return properties;
    }

    @Override
    public void close() throws Exception {
        broker.close();
    }

    /** Records CONNECTs and device PUBACKs; also makes the publish service available. */
    private static final class Recording implements ExtensionMain {
        private final Records records;

        Recording(Records records) {
            this.records = records;
        }

        @Override
        public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
            Services.interceptorRegistry().setConnectInboundInterceptorProvider(in -> (connect, out) -> {
                var packet = connect.getConnectPacket();
                if (packet.getUserName().isPresent()) {
                    records.userNames.add(packet.getUserName().get());
                    packet.getPassword().ifPresent(p -> records.passwords.add(StandardCharsets.UTF_8.decode(p).toString()));
                }
            });
            Services.initializerRegistry().setClientInitializer((in, client) -> {
                if (in.getClientInformation().getClientId().startsWith("cloud-")) {
                    return;
                }
                client.addPubackInboundInterceptor((puback, out) -> records.devicePubacks.add(System.nanoTime()));
                client.addPublishInboundInterceptor((publish, out) -> {
                    java.nio.ByteBuffer payload = publish.getPublishPacket().getPayload()
                            .orElse(java.nio.ByteBuffer.allocate(0)).duplicate();
                    byte[] bytes = new byte[payload.remaining()];
                    payload.get(bytes);
                    String topic = publish.getPublishPacket().getTopic();
                    if (topic.startsWith("$iothub/")) {
                        // IoT Hub's twin and method conventions; HiveMQ itself would disconnect the client.
                        out.preventPublishDelivery();
                        onIotHubRequest(records, topic, new String(bytes, StandardCharsets.UTF_8));
                        return;
                    }
                    records.received.merge(new String(bytes, StandardCharsets.UTF_8), 1, Integer::sum);
                });
            });
        }

        /** Answers twin reads and reported patches, and takes method responses, as IoT Hub does. */
        private static void onIotHubRequest(Records records, String topic, String body) {
            String rid = query(topic, "$rid");
            if (topic.startsWith("$iothub/twin/GET/")) {
                records.twinReads.incrementAndGet();
                JsonObject twin = new JsonObject();
                synchronized (records) {
                    JsonObject desired = records.desired.deepCopy();
                    desired.addProperty("$version", records.desiredVersion);
                    JsonObject reported = records.reported.deepCopy();
                    reported.addProperty("$version", records.reportedVersion);
                    twin.add("desired", desired);
                    twin.add("reported", reported);
                }
                publishToDevice("$iothub/twin/res/200/?$rid=" + rid, twin.toString());
            } else if (topic.startsWith("$iothub/twin/PATCH/properties/reported/")) {
                int version;
                synchronized (records) {
                    mergePatch(records.reported, JsonParser.parseString(body).getAsJsonObject());
                    version = ++records.reportedVersion;
                }
                records.reportedPatches.add(body);
                publishToDevice("$iothub/twin/res/204/?$rid=" + rid + "&$version=" + version, "");
            } else if (topic.startsWith("$iothub/methods/res/")) {
                int status = Integer.parseInt(topic.split("/")[3]);
                CompletableFuture<MethodResult> waiting = records.methods.remove(rid);
                if (waiting != null) {
                    waiting.complete(new MethodResult(status, body));
                }
            }
        }

        @Override
        public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
            // nothing to release
        }
    }
}
