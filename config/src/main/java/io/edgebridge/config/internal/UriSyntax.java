package io.edgebridge.config.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Checks a broker URI: scheme from a set, a host, a valid port, no credentials, no path or query. */
final class UriSyntax {

    /** scheme://...@ : user-info in the authority, checked before parsing so it is never echoed. */
    private static final Pattern USER_INFO = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://[^/?]*@.*", Pattern.DOTALL);

    /** The outcome: a URI, or a message; {@code echo} says whether the message may show the value. */
    record Result(URI uri, String problem, boolean mayEcho) {

        static Result ok(URI uri) {
            return new Result(uri, null, true);
        }

        static Result problem(String problem, boolean mayEcho) {
            return new Result(null, problem, mayEcho);
        }
    }

    private UriSyntax() {
    }

    static Result check(String text, Set<String> schemes) {
        String expected = expected(schemes);
        if (USER_INFO.matcher(text).matches()) {
            return Result.problem("put credentials in username/password, not in the URI", false);
        }
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            // getReason() does not contain the input, getMessage() does.
            return Result.problem(expected + "; " + e.getReason() + " at character " + (e.getIndex() + 1), true);
        }
        if (uri.getScheme() == null || uri.isOpaque() || uri.getRawAuthority() == null) {
            return Result.problem(expected, true);
        }
        if (!schemes.contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
            return Result.problem(expected + "; scheme '" + uri.getScheme() + "' is not supported here", true);
        }
        if (uri.getRawUserInfo() != null) {
            return Result.problem("put credentials in username/password, not in the URI", false);
        }
        if (uri.getHost() == null) {
            return Result.problem(expected + "; the URI has no valid host or port", true);
        }
        if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65_535)) {
            return Result.problem("expected a port from 1 to 65535 in the URI", true);
        }
        String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            return Result.problem(expected + "; a broker URI has no path, query or fragment", true);
        }
        return Result.ok(uri);
    }

    private static String expected(Set<String> schemes) {
        TreeSet<String> sorted = new TreeSet<>(schemes);
        return "expected a URI like " + sorted.first() + "://host:port with scheme " + String.join(" or ", sorted);
    }
}
