/**
 * How streamsight reaches its MQTT broker: the part of the `mqtt:` config that every client of it
 * (the publisher, the reporter) connects with, so both stay in step.
 */
import type { IClientOptions } from 'mqtt';

/** The broker and the credentials and timing of a connection to it. */
export interface BrokerOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Default 30. */
  keepaliveS?: number | undefined;
  /** Delay between reconnect attempts, ms; default 1000. */
  reconnectMs?: number | undefined;
}

/**
 * mqtt.js options for a connection as `clientId` (MQTT 3.1.1), retried in the background;
 * `clean: false` asks the broker to keep the session (subscriptions and queued QoS 1 messages).
 */
export function brokerConnectOptions(o: BrokerOptions, clientId: string, clean: boolean): IClientOptions {
  return {
    clientId,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    protocolVersion: 4,
    clean,
    keepalive: o.keepaliveS ?? 30,
    reconnectPeriod: o.reconnectMs ?? 1000,
    connectTimeout: 10_000,
  };
}
