package io.edgebridge.core.internal.mqtt;

/**
 * Fired down the pipeline by {@link MqttConnector} when the broker accepted a connection: the
 * subscriptions and the flights (re)start their part of the session on it.
 *
 * @param sessionPresent    whether the broker resumed the session (CONNACK)
 * @param receiveMaximum    how many QoS 1/2 publishes the broker takes unacknowledged (65535 when it set no limit)
 * @param maximumPacketSize the largest packet the broker takes ({@code Long.MAX_VALUE} when it set no limit)
 */
record SessionStarted(boolean sessionPresent, int receiveMaximum, long maximumPacketSize) {
}
