/**
 * A lossy UDP proxy on loopback for the fault tests: what a bad Wi-Fi link or a congested uplink
 * does to a camera's RTP, made repeatable with a seeded PRNG.
 *
 *   sender ──▶ [in port] ── drop (loss) ─ hold (reorder) ─ delay (jitter) ──▶ [out port] ──▶ target
 *   sender ◀── [in port] ◀───────────────── untouched ────────────────────── [out port] ◀── target
 *
 * Forward datagrams go out from the `out` socket, so the target sees the proxy's out port as the
 * sender's port (an RTSP camera behind it announces that port as its server_port). Replies from the
 * target (RTCP receiver reports) go back, unimpaired, to the last address that sent to `in`.
 *
 * Reorder: a packet chosen with probability `reorder` is held and sent after the next `reorderDepth`
 * packets. Jitter: each forwarded packet is delayed by a uniform [0, jitterMs) on top of the previous
 * one's departure, so jitter alone never reorders. Counters say exactly what was done.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { prng } from './prng.js';

/** How a {@link LossyUdpProxy} impairs the forward direction. */
export interface LossyProxyOptions {
  /** Where forwarded datagrams go. */
  target: { host?: string; port: number };
  /** Fraction of datagrams dropped, 0..1. */
  loss?: number;
  /** Fraction of datagrams held back and sent late, 0..1. */
  reorder?: number;
  /** How many later datagrams overtake a held one (default 2). */
  reorderDepth?: number;
  /** Extra delay per datagram, uniform in [0, jitterMs). */
  jitterMs?: number;
  /** PRNG seed (core/testing/prng.ts), so a run replays exactly. */
  seed?: number;
  /** Impairs only while this returns true (default: always); lets a test turn the link clean again. */
  active?: () => boolean;
}

/** What the proxy did to the forward direction. */
export interface LossyProxyStats {
  received: number;
  forwarded: number;
  dropped: number;
  /** Datagrams sent after later ones. */
  reordered: number;
  /** Datagrams delayed by jitter. */
  delayed: number;
  /** Datagrams relayed back from the target to the sender. */
  returned: number;
}

/** Forwards UDP from its `in` port to a target through its `out` port, losing, reordering and delaying. */
export class LossyUdpProxy {
  readonly stats: LossyProxyStats = { received: 0, forwarded: 0, dropped: 0, reordered: 0, delayed: 0, returned: 0 };
  readonly #in = dgram.createSocket('udp4');
  readonly #out = dgram.createSocket('udp4');
  readonly #opts: Required<Omit<LossyProxyOptions, 'active'>> & { active?: () => boolean };
  readonly #random: () => number;
  /** Datagrams waiting for their departure time, in order. */
  #queue: { data: Buffer; at: number }[] = [];
  #timer?: NodeJS.Timeout;
  /** Held datagrams with the number of later ones still to pass them. */
  #held: { data: Buffer; after: number }[] = [];
  #sender?: { address: string; port: number };
  /** performance.now() of the last scheduled departure, so jitter keeps order. */
  #lastDeparture = 0;
  #closed = false;

  constructor(opts: LossyProxyOptions) {
    this.#opts = {
      target: { host: opts.target.host ?? '127.0.0.1', port: opts.target.port },
      loss: opts.loss ?? 0, reorder: opts.reorder ?? 0, reorderDepth: opts.reorderDepth ?? 2,
      jitterMs: opts.jitterMs ?? 0, seed: opts.seed ?? 1, ...(opts.active ? { active: opts.active } : {}),
    };
    this.#random = prng(this.#opts.seed);
    this.#in.on('message', (msg, rinfo) => this.#forward(msg, rinfo));
    this.#out.on('message', (msg) => this.#back(msg));
    this.#in.on('error', () => undefined);
    this.#out.on('error', () => undefined);
  }

  /** Datagrams inside the proxy: waiting out their jitter, or held back to be overtaken. */
  get pending(): { queued: number; held: number } {
    return { queued: this.#queue.length, held: this.#held.length };
  }

  /** Binds both sockets on 127.0.0.1 (port 0: any); resolves with the `in` and `out` ports. */
  async listen(inPort = 0, outPort = 0): Promise<{ inPort: number; outPort: number }> {
    await Promise.all([
      new Promise<void>((resolve, reject) => {
        this.#in.once('error', reject);
        this.#in.bind(inPort, '127.0.0.1', () => resolve());
      }),
      new Promise<void>((resolve, reject) => {
        this.#out.once('error', reject);
        this.#out.bind(outPort, '127.0.0.1', () => resolve());
      }),
    ]);
    return { inPort: (this.#in.address() as AddressInfo).port, outPort: (this.#out.address() as AddressInfo).port };
  }

  #forward(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    this.#sender = { address: rinfo.address, port: rinfo.port };
    this.stats.received++;
    const o = this.#opts;
    const impair = o.active?.() ?? true;
    // Every decision draws the same numbers whatever the outcome, so one seed replays one pattern.
    const [lossDraw, reorderDraw, jitterDraw] = [this.#random(), this.#random(), this.#random()];
    if (impair && lossDraw < o.loss) {
      this.stats.dropped++;
      return;
    }
    if (impair && reorderDraw < o.reorder && this.#held.length === 0) {
      this.#held.push({ data: msg, after: o.reorderDepth });
      return;
    }
    this.#send(msg, impair ? jitterDraw * o.jitterMs : 0);
    for (const h of this.#held) h.after--;
    const due = this.#held.filter((h) => h.after <= 0);
    this.#held = this.#held.filter((h) => h.after > 0);
    for (const h of due) {
      this.stats.reordered++;
      this.#send(h.data, 0);
    }
  }

  /**
   * Sends after `delayMs`, never before the previous datagram: one FIFO drained by one timer, since
   * node timers of different durations due in the same millisecond may fire in either order.
   */
  #send(data: Buffer, delayMs: number): void {
    const now = performance.now();
    const at = Math.max(now + delayMs, this.#lastDeparture);
    this.#lastDeparture = at;
    if (at - now >= 0.5) this.stats.delayed++;
    this.#queue.push({ data, at });
    this.#drain();
  }

  #drain(): void {
    if (this.#timer) return;
    const { host, port } = this.#opts.target;
    while (this.#queue.length > 0 && !this.#closed) {
      const wait = this.#queue[0]!.at - performance.now();
      if (wait >= 0.5) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#drain();
        }, wait);
        return;
      }
      this.stats.forwarded++;
      this.#out.send(this.#queue.shift()!.data, port, host);
    }
  }

  #back(msg: Buffer): void {
    if (this.#closed || !this.#sender) return;
    this.stats.returned++;
    this.#in.send(msg, this.#sender.port, this.#sender.address);
  }

  /** Stops forwarding and closes both sockets; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#queue = [];
    this.#in.close();
    this.#out.close();
  }
}
