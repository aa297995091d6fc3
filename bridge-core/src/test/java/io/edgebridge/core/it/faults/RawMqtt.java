package io.edgebridge.core.it.faults;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One client connection that sends whatever bytes a test wants (packets from Netty's MQTT encoder,
 * or garbage), over plain TCP or TLS, and can tell whether the server closed it.
 */
final class RawMqtt implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawMqtt(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(5000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static RawMqtt plain(int port) throws IOException {
        return new RawMqtt(new Socket(InetAddress.getLoopbackAddress(), port));
    }

    /** A TLS connection, handshake done. */
    static RawMqtt tls(int port, SSLContext context) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        socket.startHandshake();
        return new RawMqtt(socket);
    }

    RawMqtt send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends, ignoring a connection the server already closed (for a client that keeps trickling). */
    void sendQuietly(byte[] bytes) {
        try {
            send(bytes);
        } catch (IOException e) {
            // closed by the server: nothing more to send
        }
    }

    /** The CONNACK's return code (MQTT 3.1.1), or -1 when the server closed instead. */
    int connack() throws IOException {
        byte[] packet = in.readNBytes(4);
        return packet.length == 4 && packet[0] == 0x20 ? packet[3] : -1;
    }

    /** Whether the server has closed the connection (reading and dropping whatever it sent before). */
    boolean closedByServer() throws IOException {
        socket.setSoTimeout(1);
        try {
            for (int i = 0; i < 1_000_000; i++) { // bounded: a server never sends that much here
                if (in.read() == -1) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** An MQTT 3.1.1 CONNECT with user name and password. */
    static byte[] connect(String clientId, String user, String password) {
        return encode(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1).clientId(clientId)
                .username(user).password(password.getBytes(StandardCharsets.UTF_8)).cleanSession(true)
                .keepAlive(60).build());
    }

    static byte[] disconnect() {
        return new byte[] {(byte) 0xe0, 0x00};
    }

    /**
     * A fixed header announcing {@code remainingLength} bytes (at most 268,435,455): {@code 0x10}
     * CONNECT, {@code 0x30} QoS 0 PUBLISH.
     */
    static byte[] fixedHeader(int firstByte, int remainingLength) {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.write(firstByte);
        int left = remainingLength;
        do {
            int digit = left % 128;
            left /= 128;
            header.write(left > 0 ? digit | 0x80 : digit);
        } while (left > 0);
        return header.toByteArray();
    }

    private static byte[] encode(MqttMessage message) {
        EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
        try {
            channel.writeOutbound(message);
            ByteBuf buf = channel.readOutbound();
            try {
                return ByteBufUtil.getBytes(buf);
            } finally {
                buf.release();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
