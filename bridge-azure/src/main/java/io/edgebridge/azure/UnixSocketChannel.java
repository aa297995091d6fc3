package io.edgebridge.azure;

import com.microsoft.azure.sdk.iot.device.hsm.UnixDomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The IoT Edge workload API's unix socket ({@code IOTEDGE_WORKLOADURI=unix:///...}) for
 * {@code ModuleClient.createFromEnvironment}, on the JDK's own unix-domain socket channels.
 */
final class UnixSocketChannel implements UnixDomainSocketChannel {

    private SocketChannel channel;

    @Override
    public void open(String address) throws IOException {
        String path = address.startsWith("unix://") ? address.substring("unix://".length()) : address;
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(path));
    }

    @Override
    public void write(byte[] output) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(output);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    @Override
    public int read(byte[] input) throws IOException {
        return channel.read(ByteBuffer.wrap(input));
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
