package io.edgebridge.core.support;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version this build was made as (from {@code edgebridge-version.properties}). */
public final class EdgeBridgeVersion {

    private static final String VERSION = read();

    private EdgeBridgeVersion() {
    }

    public static String get() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = EdgeBridgeVersion.class.getResourceAsStream("/edgebridge-version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
