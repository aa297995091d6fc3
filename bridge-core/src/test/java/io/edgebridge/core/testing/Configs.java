package io.edgebridge.core.testing;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.config.ConfigException;
import io.edgebridge.config.ConfigLoader;
import io.edgebridge.core.internal.SinkFactories;

/** Configurations from YAML text, validated by the real loader with the real sink types. */
public final class Configs {

    private Configs() {
    }

    public static BridgeConfig parse(String yaml) {
        try {
            return new ConfigLoader(SinkFactories.load()).parse(yaml, "test.yaml");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
