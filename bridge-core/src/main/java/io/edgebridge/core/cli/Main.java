package io.edgebridge.core.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code edgebridge <command>}: the daemon's command line. */
@Command(name = "edgebridge",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Local-to-cloud MQTT bridge.",
        subcommands = {RunCommand.class, ValidateCommand.class, ExplainCommand.class, PasswdCommand.class,
                HealthCommand.class, VersionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit code for a configuration that does not load. */
    public static final int EXIT_INVALID_CONFIG = 2;
    /** Exit code for a failure while running (broker port taken, spool locked, ...). */
    public static final int EXIT_RUNTIME_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Netty's leak detector samples buffer allocations with stack traces: a debugging aid that
        // costs throughput. Off unless asked for (-Dio.netty.leakDetection.level=...); the tests run paranoid.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        System.exit(execute(args));
    }

    /** Runs a command and returns its exit code (used by tests, which must not exit the JVM). */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs a command writing to the given streams. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("edgebridge: " + ex.getMessage());
            return EXIT_RUNTIME_FAILURE;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
