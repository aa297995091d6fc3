package io.edgebridge.core.cli;

import io.edgebridge.config.BridgeConfig;
import io.edgebridge.core.api.SinkFactory;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code edgebridge validate --config PATH}: every problem at once; exit 0 valid, 2 invalid. */
@Command(name = "validate", description = "Check a configuration and report every problem at once.")
final class ValidateCommand extends ConfigCommand {

    @Override
    int run(BridgeConfig loaded, List<SinkFactory> factories) {
        long upstream = loaded.upstreamRoutes().size();
        long downstream = loaded.downstreamRoutes().size();
        spec.commandLine().getOut().printf("%s: OK (%d sinks, %d upstream and %d downstream routes, config %s)%n",
                config.path(), loaded.sinks().size(), upstream, downstream, loaded.fingerprint());
        return 0;
    }
}
