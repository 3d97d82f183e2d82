/**
 * CountReporter: how the reporter node (`cluster.reporter`) learns every other node's vehicle counts.
 * It subscribes to the per-minute rows the nodes' MqttPublishers send on `{prefix}/+/counts/+` and
 * adds each one to the local CountStore, so `/api/counts` and `/api/reports/traffic` cover every gate.
 *
 * - Nothing is lost while the reporter is down: its MQTT session is persistent (fixed client id,
 *   `clean: false`, QoS 1 subscription), so the broker keeps the rows published meanwhile and
 *   delivers them when it returns. (The broker's own queue limit applies: Mosquitto's
 *   max_queued_messages, 1000 by default.) A node's rows survive that node's broker outage in
 *   its publisher's outbox.
 * - Nothing is counted twice: a row is acknowledged (PUBACK) only after its transaction committed,
 *   and that transaction also records the row's id (CountStore.addMany's `once`). A row redelivered
 *   because the acknowledgement was lost is found by its id and dropped.
 * - The reporter's own cameras are skipped: they are already in its CountStore, counted locally.
 * - A late second row for a minute (a crossing committed after its minute was sent) has its own id
 *   and is added to the first, never replacing it.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { CountIncrement } from '../events/counts.js';
import { createLogger, redactUrl, RateLimitedLog } from '../log.js';
import { brokerConnectOptions, type BrokerOptions } from '../mqtt/broker.js';
import type { MinuteCount } from '../mqtt/minute-counts.js';

const log = createLogger('reporter');

/** How long applied row ids are remembered: a redelivery comes within minutes of the first delivery, not days. */
export const APPLIED_ID_TTL_MS = 8 * 86_400_000;
const PRUNE_EVERY_MS = 6 * 3_600_000;

/** The reporter's settings: the broker (from `mqtt:`) and who it is. */
export interface ReporterOptions extends BrokerOptions {
  /** Fixed across restarts: the broker keeps this client's session (and the rows queued for it). */
  clientId: string;
  topicPrefix: string;
  /** This node's name: its own rows are skipped. */
  node: string;
  /** True for a camera this node runs (its counts are local already). */
  isOwn(camera: string): boolean;
}

/** What the reporter needs from the count store (core/events CountStore satisfies it). */
export interface CountWriter {
  addMany(increments: readonly CountIncrement[], once?: { id: string; at: number }): Promise<boolean>;
  forgetApplied(before: number): Promise<number>;
}

/** What became of one received row. */
export type IngestResult = 'applied' | 'duplicate' | 'own' | 'invalid';

/** The reporter's counters. */
export interface ReporterStats {
  connected: boolean;
  /** The broker acknowledged the subscription (on this connection). */
  subscribed: boolean;
  applied: number;
  duplicates: number;
  own: number;
  invalid: number;
}

/** See the file comment. */
export class CountReporter {
  readonly topic: string;
  readonly #opts: ReporterOptions;
  readonly #store: CountWriter;
  readonly #warn = new RateLimitedLog(log, 30_000);
  readonly #counters = { applied: 0, duplicates: 0, own: 0, invalid: 0 };
  #client?: MqttClient;
  #subscribed = false;
  #pruneTimer?: NodeJS.Timeout;
  #closed = false;

  constructor(opts: ReporterOptions, store: CountWriter) {
    this.#opts = opts;
    this.#store = store;
    this.topic = `${opts.topicPrefix}/+/counts/+`;
  }

  /** Connects in the background (a broker that is away is retried) and subscribes on every connection. */
  start(): void {
    if (this.#client || this.#closed) return;
    const o = this.#opts;
    const client = (this.#client = mqtt.connect(o.url, brokerConnectOptions(o, o.clientId, false)));
    // mqtt.js sends the PUBACK of a QoS 1 message when this calls back, and hands over the next
    // message only then: the row is acknowledged after its commit, and rows are applied in order.
    client.handleMessage = (packet, done) => {
      this.ingest(packet.payload.toString()).then(
        () => done(),
        (err: unknown) => {
          // Not acknowledged: the broker redelivers it on the next connection.
          this.#warn.warn('ingest', `count row on ${packet.topic} not stored: ${err instanceof Error ? err.message : String(err)}`);
          if (!this.#closed) client.end(true, () => (this.#closed ? undefined : client.reconnect()));
        },
      );
    };
    client.on('connect', () => {
      log.info(`reporter connected to ${redactUrl(o.url)} as ${o.clientId}`);
      client.subscribe(this.topic, { qos: 1 }, (err) => {
        if (err) this.#warn.warn('subscribe', `cannot subscribe to ${this.topic}: ${err.message}`);
        else this.#subscribed = true;
      });
    });
    client.on('close', () => (this.#subscribed = false));
    client.on('error', (err) => this.#warn.warn('error', `${redactUrl(o.url)}: ${err.message}`));
    const prune = () => {
      this.#store.forgetApplied(Date.now() - APPLIED_ID_TTL_MS).catch((err: unknown) => this.#warn.warn('prune', `cannot prune applied row ids: ${String(err)}`));
    };
    prune();
    this.#pruneTimer = setInterval(prune, PRUNE_EVERY_MS).unref();
  }

  /** Parses one row and adds it to the store unless it is this node's own, a duplicate or malformed. */
  async ingest(text: string): Promise<IngestResult> {
    const row = parseRow(text);
    if (!row) {
      this.#counters.invalid++;
      this.#warn.warn('invalid', `dropped a malformed count row: ${text.slice(0, 200)}`);
      return 'invalid';
    }
    if (row.node === this.#opts.node || this.#opts.isOwn(row.camera)) {
      this.#counters.own++;
      return 'own';
    }
    const at = Date.parse(row.minute);
    const increments: CountIncrement[] = [];
    for (const [line, directions] of Object.entries(row.lines)) {
      for (const [direction, n] of Object.entries(directions)) {
        increments.push({ camera: row.camera, ...(row.gate !== undefined ? { gate: row.gate } : {}), line, cls: row.cls, direction, at, n });
      }
    }
    const applied = await this.#store.addMany(increments, { id: row.id, at });
    this.#counters[applied ? 'applied' : 'duplicates']++;
    return applied ? 'applied' : 'duplicate';
  }

  /** The counters. */
  stats(): ReporterStats {
    return { connected: this.#client?.connected ?? false, subscribed: this.#subscribed, ...this.#counters };
  }

  /** Disconnects; the broker keeps the session and queues what arrives until the next start. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    await this.#client?.endAsync(false).catch(() => undefined);
  }
}

/** A MinuteCount with the fields the reporter relies on, or undefined when the payload is not one. */
function parseRow(text: string): (MinuteCount & { id: string }) | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  const r = v as Partial<MinuteCount>;
  const name = (s: unknown) => typeof s === 'string' && s.length > 0 && s.length <= 64;
  if (!name(r.camera) || !name(r.cls) || (r.gate !== undefined && !name(r.gate))) return undefined;
  if (typeof r.id !== 'string' || r.id.length === 0 || typeof r.minute !== 'string' || !Number.isFinite(Date.parse(r.minute))) return undefined;
  if (r.lines === null || typeof r.lines !== 'object' || Array.isArray(r.lines)) return undefined;
  for (const [line, directions] of Object.entries(r.lines)) {
    if (!name(line) || directions === null || typeof directions !== 'object' || Array.isArray(directions)) return undefined;
    for (const [direction, n] of Object.entries(directions)) if (!name(direction) || !Number.isSafeInteger(n) || n < 1) return undefined;
  }
  return r as MinuteCount & { id: string };
}
