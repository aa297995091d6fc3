package io.edgebridge.azure;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads IoT Hub connection strings ({@code HostName=...;DeviceId=...;SharedAccessKey=...}) far
 * enough to check them and to name the identity in logs. Problems never quote the string.
 */
final class ConnectionStrings {

    /** The non-secret parts of a connection string. */
    record Identity(String hostName, String deviceId, Optional<String> moduleId, Optional<String> gatewayHostName) {
    }

    private ConnectionStrings() {
    }

    /** The identity in {@code text}, or why it is not a usable connection string. */
    static Identity parse(String text) {
        Map<String, String> parts = new LinkedHashMap<>();
        for (String part : text.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value parts separated by ';'"
                        + " (HostName=<hub>.azure-devices.net;DeviceId=<id>;SharedAccessKey=<key>)");
            }
            parts.put(part.substring(0, eq).trim().toLowerCase(Locale.ROOT), part.substring(eq + 1).trim());
        }
        String host = parts.getOrDefault("hostname", "");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("the connection string has no HostName");
        }
        if (!host.contains(".")) {
            throw new IllegalArgumentException("the connection string's HostName must be the hub's full host name,"
                    + " like <hub>.azure-devices.net");
        }
        String device = parts.getOrDefault("deviceid", "");
        if (device.isEmpty()) {
            throw new IllegalArgumentException("the connection string has no DeviceId (a hub-level 'iothubowner'"
                    + " string cannot be used: register a device and use its connection string)");
        }
        boolean sas = !parts.getOrDefault("sharedaccesskey", "").isEmpty()
                || !parts.getOrDefault("sharedaccesssignature", "").isEmpty();
        if (!sas) {
            throw new IllegalArgumentException("the connection string has no SharedAccessKey or"
                    + " SharedAccessSignature (for a certificate identity use 'x509' instead)");
        }
        return new Identity(host, device, Optional.ofNullable(parts.get("moduleid")).filter(s -> !s.isEmpty()),
                Optional.ofNullable(parts.get("gatewayhostname")).filter(s -> !s.isEmpty()));
    }
}
