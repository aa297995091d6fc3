package io.edgebridge.core.internal.mqtt;

import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The I/O threads every MQTT link runs on. A link stays on one loop for its whole life, so its state
 * needs no locks; links are spread over the loops.
 */
final class MqttEventLoops {

    private static final int THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

    private MqttEventLoops() {
    }

    private static final class Holder {
        static final NioEventLoopGroup GROUP = new NioEventLoopGroup(THREADS, new DefaultThreadFactory("mqtt-io", true));
    }

    static NioEventLoopGroup group() {
        return Holder.GROUP;
    }

    static EventLoop next() {
        return Holder.GROUP.next();
    }
}
