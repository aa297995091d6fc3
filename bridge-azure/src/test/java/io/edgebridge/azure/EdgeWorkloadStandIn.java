package io.edgebridge.azure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stand-in for the IoT Edge workload API (the security daemon's {@code IOTEDGE_WORKLOADURI}),
 * over plain HTTP on 127.0.0.1 with an ephemeral port, reached as {@code http://localhost:<port>}
 * (the SDK accepts an {@code http} workload URI only for host {@code localhost}).
 *
 * <ul>
 *   <li>{@code GET /trust-bundle?api-version=...}: {@code {"certificate": "<PEM>"}}, the test CA;
 *   <li>{@code POST /modules/{module}/genid/{generation}/sign?api-version=...} with
 *       {@code {"keyId": "primary", "algo": "HMACSHA256", "data": "<base64>"}}:
 *       {@code {"digest": "<base64 HMAC-SHA256 of the data with the module's key>"}}, as the daemon
 *       signs with the module identity's key.
 * </ul>
 * Every request is recorded; a sign request also with the digest returned, so a test can check that
 * a SAS token was signed here without knowing the key.
 */
final class EdgeWorkloadStandIn implements AutoCloseable {

    private static final Pattern SIGN = Pattern.compile("/modules/([^/]+)/genid/([^/]+)/sign");
    private static final JsonFactory JSON = new JsonFactory();

    /** One request: path, query parameters, and for a sign request its ids, fields and the digest returned. */
    record Request(String method, String path, Map<String, String> query, String moduleId, String generationId,
            String keyId, String algo, String data, String digest) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String trustBundle;
    private final byte[] moduleKey;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    /** Serves {@code caCertificate} as the trust bundle and signs with {@code moduleKey}. */
    EdgeWorkloadStandIn(Path caCertificate, byte[] moduleKey) throws IOException {
        this.trustBundle = Files.readString(caCertificate);
        this.moduleKey = moduleKey.clone();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "edge-workload-stand-in");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    EdgeWorkloadStandIn start() {
        server.start();
        return this;
    }

    /** The value for {@code IOTEDGE_WORKLOADURI}. */
    String uri() {
        return "http://localhost:" + server.getAddress().getPort() + "/";
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> signRequests() {
        return requests.stream().filter(r -> r.moduleId() != null).toList();
    }

    List<Request> trustBundleRequests() {
        return requests.stream().filter(r -> r.path().equals("/trust-bundle")).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            URI uri = exchange.getRequestURI();
            String path = uri.getPath();
            Map<String, String> query = query(uri.getRawQuery());
            String method = exchange.getRequestMethod();
            Matcher sign = SIGN.matcher(path);
            if (method.equals("GET") && path.equals("/trust-bundle")) {
                requests.add(new Request(method, path, query, null, null, null, null, null, null));
                respond(exchange, 200, json("certificate", trustBundle));
            } else if (method.equals("POST") && sign.matches()) {
                Map<String, String> body = fields(exchange.getRequestBody());
                String module = URLDecoder.decode(sign.group(1), StandardCharsets.UTF_8);
                String generation = URLDecoder.decode(sign.group(2), StandardCharsets.UTF_8);
                String data = body.get("data");
                if (data == null || !"HMACSHA256".equals(body.get("algo"))) {
                    requests.add(new Request(method, path, query, module, generation, body.get("keyId"),
                            body.get("algo"), data, null));
                    respond(exchange, 400, json("message", "expected algo HMACSHA256 and data"));
                    return;
                }
                String digest = Base64.getEncoder().encodeToString(hmac(Base64.getDecoder().decode(data)));
                requests.add(new Request(method, path, query, module, generation, body.get("keyId"), body.get("algo"),
                        new String(Base64.getDecoder().decode(data), StandardCharsets.UTF_8), digest));
                respond(exchange, 200, json("digest", digest));
            } else {
                requests.add(new Request(method, path, query, null, null, null, null, null, null));
                respond(exchange, 404, json("message", "no such workload API call: " + method + " " + path));
            }
        }
    }

    private byte[] hmac(byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(moduleKey, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            query.put(URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return query;
    }

    /** The top-level string fields of a JSON object. */
    private static Map<String, String> fields(InputStream body) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        try (JsonParser parser = JSON.createParser(body.readAllBytes())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return fields;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.VALUE_STRING) {
                    fields.put(name, parser.getText());
                } else {
                    parser.skipChildren();
                }
            }
        }
        return fields;
    }

    private static byte[] json(String field, String value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField(field, value);
            json.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
