package io.edgebridge.config;

import java.util.Optional;

/**
 * One listener of the embedded broker ({@code local.embedded.listeners[]}).
 *
 * @param address listen address ({@code 0.0.0.0}, {@code ::}, or one interface's address)
 * @param port    listen port
 * @param tls     present for a TLS listener
 */
public record BrokerListener(String address, int port, Optional<ListenerTls> tls) {

    public static BrokerListener plain(String address, int port) {
        return new BrokerListener(address, port, Optional.empty());
    }

    /** Whether the address is a wildcard (every interface). */
    public boolean wildcard() {
        return address.equals("0.0.0.0") || address.equals("::") || address.equals("0:0:0:0:0:0:0:0");
    }

    /** How logs and errors name it: {@code 127.0.0.1:1883} or {@code tls 0.0.0.0:8883}. */
    public String display() {
        String host = address.indexOf(':') >= 0 ? "[" + address + "]" : address;
        return (tls.isPresent() ? "tls " : "") + host + ":" + port;
    }
}
