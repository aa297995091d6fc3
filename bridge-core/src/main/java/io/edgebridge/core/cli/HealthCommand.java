package io.edgebridge.core.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgebridge health [--url URL]}: asks a running bridge's admin server whether it is ready,
 * so a container health check needs no curl. Exit 0 when the endpoint answers 200, 1 when it answers
 * anything else or cannot be reached, 2 for an unusable URL.
 */
@Command(name = "health",
        description = {"Ask a running EdgeBridge whether it is ready (GET its admin endpoint).",
                "Exit 0 on HTTP 200; 1 on any other answer or no answer; 2 for an unusable --url."})
final class HealthCommand implements Callable<Integer> {

    static final String DEFAULT_URL = "http://127.0.0.1:9090/health/ready";
    /** The largest part of the answer printed: a health check's output is kept by Docker, up to 4 KB. */
    private static final int MAX_BODY = 4096;

    @Option(names = "--url", paramLabel = "URL",
            defaultValue = "${env:EDGEBRIDGE_HEALTH_URL:-" + DEFAULT_URL + "}",
            description = "The endpoint to ask (default: $EDGEBRIDGE_HEALTH_URL, else ${DEFAULT-VALUE}); "
                    + "/health/live asks only whether the process runs.")
    String url;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "Connect and read timeout in seconds (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return usage("--url " + url + " is not a URL: " + e.getReason());
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            return usage("--url must be an http:// URL with a host, like " + DEFAULT_URL + ", not " + url);
        }
        if (timeoutSeconds < 1) {
            return usage("--timeout must be at least 1 second, not " + timeoutSeconds);
        }
        HttpURLConnection connection;
        try {
            connection = (HttpURLConnection) uri.toURL().openConnection();
        } catch (MalformedURLException e) {
            return usage("--url " + url + " is not usable: " + e.getMessage());
        } catch (IOException e) {
            return unreachable(e);
        }
        try {
            connection.setConnectTimeout(timeoutSeconds * 1000);
            connection.setReadTimeout(timeoutSeconds * 1000);
            connection.setUseCaches(false);
            connection.setInstanceFollowRedirects(false);
            int status = connection.getResponseCode();
            String body = body(status < 400 ? connection.getInputStream() : connection.getErrorStream());
            spec.commandLine().getOut().print(body.endsWith("\n") || body.isEmpty() ? body : body + "\n");
            spec.commandLine().getOut().flush();
            if (status == 200) {
                return 0;
            }
            spec.commandLine().getErr().println("edgebridge: " + url + " answered HTTP " + status);
            return 1;
        } catch (IOException e) {
            return unreachable(e);
        } finally {
            connection.disconnect();
        }
    }

    private static String body(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
        }
    }

    private int unreachable(IOException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        spec.commandLine().getErr().println("edgebridge: no answer from " + url + ": " + reason);
        return 1;
    }

    private int usage(String message) {
        spec.commandLine().getErr().println("edgebridge: " + message);
        return 2;
    }
}
