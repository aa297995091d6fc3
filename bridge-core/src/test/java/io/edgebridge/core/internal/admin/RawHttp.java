package io.edgebridge.core.internal.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A deliberately dumb HTTP/1.x client on a plain socket, so tests can send any bytes and see
 * exactly what comes back, and whether the server closed the connection.
 */
final class RawHttp implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(5000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** One parsed response. */
    record Response(int status, String statusLine, Map<String, String> headers, byte[] body) {

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    RawHttp send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends, ignoring a connection the server already closed (for a client that keeps trickling). */
    void sendQuietly(String text) {
        try {
            send(text);
        } catch (IOException e) {
            // closed by the server: nothing more to send
        }
    }

    /** Reads one response; {@code head} when it answers a HEAD request (no body follows). */
    Optional<Response> read(boolean head) throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            return Optional.empty();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = line(); line != null && !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        return Optional.of(new Response(status, statusLine, headers, body));
    }

    Response read() throws IOException {
        return read(false).orElseThrow(() -> new IOException("connection closed without a response"));
    }

    /** Whether the server closes the connection within 5 s (sending nothing more). */
    boolean closedByServer() throws IOException {
        return closedWithin(5000);
    }

    /** Whether the connection is still open after a short wait (the server would close at once). */
    boolean staysOpen() throws IOException {
        return !closedWithin(300);
    }

    private boolean closedWithin(int millis) throws IOException {
        int before = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset
        } finally {
            socket.setSoTimeout(before);
        }
    }

    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        try {
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
                }
                line.write(b);
            }
        } catch (SocketException e) {
            return null;
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    /** One request on a fresh connection; the response, if any. */
    static Optional<Response> exchange(int port, String request) throws IOException {
        try (RawHttp http = new RawHttp(port)) {
            return http.send(request).read(request.startsWith("HEAD "));
        }
    }

    static Response get(int port, String path) throws IOException {
        return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .orElseThrow(() -> new IOException("no response to GET " + path));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
