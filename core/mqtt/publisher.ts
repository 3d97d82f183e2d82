/**
 * MqttPublisher: sends committed events, per-minute counts, camera state and plugin health to an
 * MQTT broker (mqtt.js, MQTT 3.1.1).
 *
 *   {prefix}/{camera}/events          each committed event (JSON StoredEvent), QoS 1
 *   {prefix}/{camera}/counts/{class}  per-minute crossings (MinuteCount), QoS 1, once the minute ends
 *   {prefix}/{camera}/state           the camera's state (connecting|online|offline|idle), retained, on change
 *   {prefix}/stats                    node, cameras, plugins and these counters, retained, every statsIntervalS
 *   {prefix}/{clientId}/availability  `online` retained on connect; `offline` as the last will and on close
 *
 * Events and counts go through a bounded Outbox (core/mqtt/outbox.ts) and are never lost while the
 * process lives and the outbox has room: they wait for the broker across disconnects and are counted
 * when dropped. Stats and state are snapshots: one missed while the broker is away is replaced by
 * the next, so they are sent only while connected.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import type { Crossing } from '../events/counts.js';
import type { StoredEvent } from '../events/model.js';
import type { CameraInfo } from '../http/types.js';
import { createLogger, redactUrl, RateLimitedLog } from '../log.js';
import type { PluginStats } from '../plugins/runner.js';
import { brokerConnectOptions, type BrokerOptions } from './broker.js';
import { MinuteCounts } from './minute-counts.js';
import { Outbox, type OutboxStats } from './outbox.js';

const log = createLogger('mqtt');

/** The publisher's settings (the `mqtt:` config section with its defaults applied). */
export interface MqttOptions extends BrokerOptions {
  /** Default `streamsight-<hostname>`. */
  clientId?: string | undefined;
  /** Default `streamsight`. */
  topicPrefix?: string | undefined;
  /** This server's name in stats; default the host name. */
  node?: string | undefined;
  /** Default 10. */
  statsIntervalS?: number | undefined;
  /** Default 10 000. */
  maxQueuedEvents?: number | undefined;
}

/** Where the stats come from (the Server; small fakes in tests). */
export interface MqttSources {
  cameras(): CameraInfo[];
  plugins(): PluginStats[];
}

/** The publisher's counters (also in every stats message). */
export interface MqttStats extends OutboxStats {
  connected: boolean;
  /** Successful connections, the first one included. */
  connects: number;
  /** Stats messages not sent because the broker was away. */
  statsSkipped: number;
}

/** The `{prefix}/stats` payload. */
export interface StatsMessage {
  node: string;
  /** ISO 8601. */
  at: string;
  cameras: CameraInfo[];
  plugins: PluginStats[];
  mqtt: MqttStats;
}

/** MQTT topic levels may not hold the wildcards or `/`; camera ids and classes normally never do. */
function level(s: string): string {
  return s.replace(/[/+#\u0000]/g, '_');
}

/** See the file comment. */
export class MqttPublisher {
  readonly clientId: string;
  readonly prefix: string;
  readonly availabilityTopic: string;
  readonly #opts: MqttOptions;
  readonly #sources: MqttSources;
  readonly #node: string;
  readonly #outbox: Outbox;
  readonly #minutes = new MinuteCounts();
  readonly #states = new Map<string, string>();
  readonly #warn = new RateLimitedLog(log, 30_000);
  #client?: MqttClient;
  #statsTimer?: NodeJS.Timeout;
  #minuteTimer?: NodeJS.Timeout;
  #connects = 0;
  #statsSkipped = 0;
  /** Count row ids: `<node>:<run>:<seq>`, the run random so a restarted process never reuses one. */
  readonly #run = randomBytes(4).toString('hex');
  #seq = 0;
  #closed = false;

  constructor(opts: MqttOptions, sources: MqttSources) {
    this.#opts = opts;
    this.#sources = sources;
    this.clientId = opts.clientId ?? `streamsight-${hostname()}`;
    this.prefix = opts.topicPrefix ?? 'streamsight';
    this.#node = opts.node ?? hostname();
    this.availabilityTopic = `${this.prefix}/${level(this.clientId)}/availability`;
    this.#outbox = new Outbox((m, done) => this.#publishQos1(m.topic, m.payload, done), opts.maxQueuedEvents ?? 10_000);
  }

  /** Connects in the background (a broker that is away is retried; nothing waits for it) and starts the timers. */
  start(): void {
    if (this.#client || this.#closed) return;
    const o = this.#opts;
    const client = (this.#client = mqtt.connect(o.url, {
      ...brokerConnectOptions(o, this.clientId, true),
      // Nothing is published while disconnected (the Outbox waits), so this queue stays empty.
      queueQoSZero: false,
      will: { topic: this.availabilityTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    }));
    client.on('connect', () => {
      this.#connects++;
      log.info(`connected to ${redactUrl(o.url)} as ${this.clientId}`);
      client.publish(this.availabilityTopic, 'online', { qos: 1, retain: true });
      this.#states.clear(); // republish every camera's state on the next tick
      this.#outbox.setOpen(true);
    });
    client.on('close', () => this.#outbox.setOpen(false));
    client.on('offline', () => this.#warn.warn('offline', `broker ${redactUrl(o.url)} unreachable; events are kept (${this.#outbox.stats().queued} queued)`));
    client.on('error', (err) => this.#warn.warn('error', `${redactUrl(o.url)}: ${err.message}`));
    this.#statsTimer = setInterval(() => this.publishStats(), (o.statsIntervalS ?? 10) * 1000).unref();
    this.#minuteTimer = setInterval(() => this.#releaseMinutes(Date.now()), 1000).unref();
  }

  /** Queues a committed event for `{prefix}/{camera}/events`. */
  event(e: StoredEvent): void {
    this.#outbox.push({ topic: `${this.prefix}/${level(e.camera)}/events`, payload: JSON.stringify(e), kind: 'event' });
  }

  /** Adds a committed crossing to its minute; the minute is sent once it is over. */
  crossing(c: Crossing): void {
    if (!this.#closed) this.#minutes.add(c);
  }

  /** Sends `{prefix}/stats` and any camera state change now (when connected). */
  publishStats(): void {
    const client = this.#client;
    if (!client?.connected) {
      this.#statsSkipped++;
      return;
    }
    const cameras = this.#sources.cameras();
    for (const c of cameras) {
      if (this.#states.get(c.id) === c.state) continue;
      this.#states.set(c.id, c.state);
      client.publish(`${this.prefix}/${level(c.id)}/state`, c.state, { qos: 1, retain: true });
    }
    const message: StatsMessage = { node: this.#node, at: new Date().toISOString(), cameras, plugins: this.#sources.plugins(), mqtt: this.stats() };
    client.publish(`${this.prefix}/stats`, JSON.stringify(message), { qos: 0, retain: true });
  }

  /** The counters (for /metrics and the stats message). */
  stats(): MqttStats {
    return { ...this.#outbox.stats(), connected: this.#client?.connected ?? false, connects: this.#connects, statsSkipped: this.#statsSkipped };
  }

  /**
   * Releases the current minute's counts, waits up to `drainMs` for the outbox to empty, publishes
   * `offline` and disconnects. What is still unacknowledged after that is abandoned. Idempotent.
   */
  async close(drainMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#statsTimer);
    clearInterval(this.#minuteTimer);
    const client = this.#client;
    if (!client) return;
    this.#releaseMinutes(Date.now(), true);
    if (client.connected) await this.#outbox.drain(drainMs);
    this.#outbox.close();
    if (client.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        client.publish(this.availabilityTopic, 'offline', { qos: 1, retain: true }, () => (clearTimeout(t), resolve()));
      });
    }
    await client.endAsync(true).catch(() => undefined);
  }

  #releaseMinutes(now: number, all = false): void {
    for (const row of this.#minutes.take(now, all)) {
      const payload = { ...row, node: this.#node, id: `${this.#node}:${this.#run}:${++this.#seq}` };
      this.#outbox.push({ topic: `${this.prefix}/${level(row.camera)}/counts/${level(row.cls)}`, payload: JSON.stringify(payload), kind: 'count' });
    }
  }

  #publishQos1(topic: string, payload: string, done: (err?: Error) => void): void {
    const client = this.#client;
    if (!client) return done(new Error('not started'));
    client.publish(topic, payload, { qos: 1 }, (err) => done(err ?? undefined));
  }
}
