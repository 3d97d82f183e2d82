/**
 * A camera source that pulls RTSP: connect, DESCRIBE, SETUP, PLAY, then feed the stream until the
 * connection drops or stalls, and reconnect forever with capped exponential backoff and full jitter.
 *
 *   start() ─▶ connecting ─▶ online ──(drop | stall | error)──▶ offline ─▶ wait backoff ─▶ connecting …
 *   stop()  ─▶ TEARDOWN, idle (restartable; on-demand cameras)      close() ─▶ TEARDOWN, closed
 *
 * Readers attached to the stream stay attached across reconnects: the stream goes offline on a drop
 * and online again on the next setTracks.
 */
import type { Track, Unit } from '../../codecs/access-unit.js';
import { Emitter } from '../emitter.js';
import { ProtocolError } from '../errors.js';
import { RateLimitedLog, createLogger, redactUrl } from '../log.js';
import { RtspClient } from '../rtsp/client.js';
import { TrackDepacketizers } from '../rtsp/to-stream.js';
import type { Stream } from '../stream/stream.js';
import { Backoff } from './backoff.js';

const log = createLogger('rtsp-pull');
/** An offline camera retries every few seconds for hours: repeat the same error at most once a minute. */
const errorLog = new RateLimitedLog(log, 60_000);

/** Where a pull source is in its life. */
export type PullState = 'idle' | 'connecting' | 'online' | 'offline' | 'closed';

/** Options of an {@link RtspPullSource}. */
export interface RtspPullOptions {
  url: string;
  transport: 'tcp' | 'udp';
  username?: string;
  password?: string;
  /** Response timeout, and stall timeout: no RTP for this long after PLAY means reconnect. */
  timeoutMs: number;
  backoff: { initialMs: number; maxMs: number };
  userAgent?: string;
  /** Uniform random in [0, 1) for the backoff jitter (tests). */
  random?: () => number;
}

/** Counters of a pull source, cumulative over every connection. */
export interface RtspPullStats {
  state: PullState;
  /** Connection attempts that followed a drop or a failed attempt. */
  reconnects: number;
  /** Connections that delivered no RTP for timeoutMs. */
  stalls: number;
  packets: number;
  units: number;
  packetsLost: number;
  /** Packets that arrived out of order and were put back in sequence (UDP). */
  packetsReordered: number;
  /** Unparsable RTP, garbage between interleaved frames, bad payloads. */
  malformed: number;
  droppedUnits: number;
  /** UDP packets from a foreign address. */
  foreignPackets: number;
  /** Last connection error, credentials redacted. */
  lastError?: string;
}

type Totals = Pick<RtspPullStats, 'packets' | 'units' | 'packetsLost' | 'packetsReordered' | 'malformed' | 'droppedUnits' | 'foreignPackets'>;

const zeroTotals = (): Totals => ({ packets: 0, units: 0, packetsLost: 0, packetsReordered: 0, malformed: 0, droppedUnits: 0, foreignPackets: 0 });

/** Pulls one RTSP camera into a Stream and keeps it connected. */
export class RtspPullSource extends Emitter<{ state: [PullState] }> {
  readonly #opts: RtspPullOptions;
  readonly #stream: Stream;
  readonly #backoff: Backoff;
  #state: PullState = 'idle';
  #running = false;
  /** Bumped by start/stop so a loop from before a stop/start pair exits. */
  #generation = 0;
  #client?: RtspClient;
  #depacketizers?: TrackDepacketizers;
  #wake?: () => void;
  #reconnects = 0;
  #stalls = 0;
  #lastError?: string;
  #past: Totals = zeroTotals();

  constructor(opts: RtspPullOptions, stream: Stream) {
    super();
    this.#opts = opts;
    this.#stream = stream;
    this.#backoff = new Backoff({ ...opts.backoff, random: opts.random });
  }

  /** Current state. */
  get state(): PullState {
    return this.#state;
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Counters, cumulative over connections; a fresh snapshot. */
  get stats(): RtspPullStats {
    const now = this.#currentTotals();
    return {
      state: this.#state,
      reconnects: this.#reconnects,
      stalls: this.#stalls,
      packets: this.#past.packets + now.packets,
      units: this.#past.units + now.units,
      packetsLost: this.#past.packetsLost + now.packetsLost,
      packetsReordered: this.#past.packetsReordered + now.packetsReordered,
      malformed: this.#past.malformed + now.malformed,
      droppedUnits: this.#past.droppedUnits + now.droppedUnits,
      foreignPackets: this.#past.foreignPackets + now.foreignPackets,
      lastError: this.#lastError,
    };
  }

  /** Starts connecting (idempotent); reconnects until stop() or close(). */
  start(): void {
    if (this.#running || this.#state === 'closed') return;
    this.#running = true;
    const generation = ++this.#generation;
    void this.#loop(generation);
  }

  /** Disconnects (TEARDOWN) and goes idle; start() connects again. */
  stop(): void {
    if (!this.#running) return;
    this.#halt('idle');
  }

  /** Disconnects for good. Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#halt('closed');
    this.removeAllListeners();
  }

  #halt(state: PullState): void {
    this.#running = false;
    this.#generation++;
    const client = this.#client;
    this.#client = undefined;
    void client?.teardown();
    this.#wake?.();
    this.#stream.setOffline();
    this.#setState(state);
  }

  #setState(state: PullState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    this.emit('state', state);
  }

  async #loop(generation: number): Promise<void> {
    const alive = (): boolean => this.#running && generation === this.#generation;
    while (alive()) {
      this.#setState('connecting');
      try {
        await this.#session(alive);
      } catch (err) {
        const message = redactUrl(err instanceof Error ? err.message : String(err));
        if (alive()) {
          this.#lastError = message;
          errorLog.warn(`${this.#opts.url}\n${message}`, `${redactUrl(this.#opts.url)}: ${message}`);
        }
      }
      if (!alive()) break;
      this.#stream.setOffline();
      this.#setState('offline');
      this.#reconnects++;
      const delay = this.#backoff.next();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** One connection, from connect to its end; resolves or rejects when it drops. */
  async #session(alive: () => boolean): Promise<void> {
    const o = this.#opts;
    const client = new RtspClient();
    this.#client = client;
    const closed = new Promise<Error | undefined>((resolve) => client.once('close', resolve));
    try {
      await client.connect(o.url, {
        transport: o.transport, username: o.username, password: o.password, timeoutMs: o.timeoutMs, userAgent: o.userAgent,
      });
      const { tracks, unsupported } = await client.describe();
      if (unsupported.length) log.info(`${redactUrl(o.url)}: skipping unsupported media: ${unsupported.join(', ')}`);
      await client.setupAll();
      const depacketizers = new TrackDepacketizers(tracks);
      this.#depacketizers = depacketizers;
      let lastRtpAt = performance.now();
      let delivered = false;
      client.on('rtp', (index, pkt, receivedAt) => {
        lastRtpAt = receivedAt;
        const units = depacketizers.push(index, pkt, receivedAt);
        for (const unit of units) {
          if (!delivered) {
            delivered = true;
            this.#backoff.reset();
          }
          this.#stream.push(unit);
        }
      });
      // Tracks first: RTP may arrive in the same TCP read as the PLAY response, and setTracks
      // discards what readers queued before it.
      this.#stream.setTracks(tracks);
      await client.play();
      if (!alive()) return;
      this.#setState('online');
      log.info(`${redactUrl(o.url)}: online (${tracks.map((t) => t.codec).join(', ')}, ${o.transport})`);
      // Stall watchdog: the TCP connection can stay open while the camera sends nothing.
      const watchdog = setInterval(() => {
        if (performance.now() - lastRtpAt > o.timeoutMs) {
          this.#stalls++;
          client.close(new ProtocolError(`no RTP for ${o.timeoutMs} ms (stalled)`));
        }
      }, Math.min(1000, Math.max(50, o.timeoutMs / 4)));
      const error = await closed;
      clearInterval(watchdog);
      if (alive()) throw error ?? new ProtocolError('camera closed the connection');
    } finally {
      this.#retire(client);
    }
  }

  /** Folds the finished connection's counters into the totals. */
  #retire(client: RtspClient): void {
    // When stop()/close() took the client, its teardown() is still sending TEARDOWN and closes it.
    if (this.#client === client) client.close();
    client.removeAllListeners();
    const now = this.#currentTotals(client);
    for (const k of Object.keys(now) as (keyof Totals)[]) this.#past[k] += now[k];
    if (this.#client === client) this.#client = undefined;
    this.#depacketizers = undefined;
  }

  #currentTotals(client = this.#client): Totals {
    const t = zeroTotals();
    const d = this.#depacketizers?.stats;
    if (d) {
      t.packets = d.packets;
      t.units = d.units;
      t.packetsLost = d.lost;
      t.packetsReordered = d.reordered;
      t.malformed = d.malformed;
      t.droppedUnits = d.droppedUnits;
    }
    if (client) {
      t.malformed += client.stats.malformed;
      t.foreignPackets = client.stats.foreignPackets;
    }
    return t;
  }
}

