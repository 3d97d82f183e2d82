/**
 * Restores RTP sequence order (RFC 3550 §5.1: sequence numbers are 16 bits and wrap).
 *
 *   expected ─┐
 *   ring:   [ 101 | ___ | 103 | 104 | ___ | ... ]   window slots, head = expected
 *             emitted when contiguous; a gap is declared lost when a packet
 *             arrives that would not fit inside the window
 *
 * Pure: no timers. A gap is held until the window overflows or `flush()` is called.
 */
import type { RtpPacket } from './packet.js';

/** A forward jump at least this large is treated as a source restart, not as loss (RFC 3550 A.1). */
const MAX_DROPOUT = 3000;

/** Counters of a ReorderBuffer. */
export interface ReorderStats {
  /** Packets declared lost (gaps skipped). */
  lost: number;
  /** Packets received twice (dropped). */
  duplicates: number;
  /** Packets that arrived after a later one and were put back in order. */
  reordered: number;
  /** Packets that arrived after their gap had already been declared lost (dropped). */
  late: number;
  /** Times the sequence restarted (a jump confirmed by two consecutive packets). */
  resyncs: number;
}

/** Holds out-of-order packets up to `window` packets, then declares the gap lost. */
export class ReorderBuffer {
  /** Counters; read, do not modify. */
  readonly stats: ReorderStats = { lost: 0, duplicates: 0, reordered: 0, late: 0, resyncs: 0 };
  private readonly ring: (RtpPacket | undefined)[];
  private head = 0;
  private expected = -1;
  private held = 0;
  /** Forward distance from `expected` of the furthest packet held. */
  private furthest = -1;
  /** Recently emitted sequence numbers, to tell duplicates from late packets. */
  private readonly history: Int32Array;
  private badSeq = -1;

  constructor(readonly window = 32) {
    if (!(window >= 1)) throw new RangeError('window must be >= 1');
    this.ring = new Array<RtpPacket | undefined>(window);
    this.history = new Int32Array(Math.max(128, window * 2)).fill(-1);
  }

  /** Number of packets currently held back. */
  get pending(): number { return this.held; }

  /** Adds a packet; returns the packets that are now in order (possibly none). */
  push(p: RtpPacket): RtpPacket[] {
    const seq = p.sequenceNumber;
    if (this.expected < 0) return this.restart(p);
    const d = (seq - this.expected) & 0xffff;

    if (d === 0 && this.held === 0) {
      this.expected = (seq + 1) & 0xffff;
      this.remember(seq);
      return [p];
    }
    if (d >= 0x8000 || d >= MAX_DROPOUT) {
      const behind = 0x10000 - d;
      if (d >= 0x8000 && behind <= this.history.length) {
        if (this.history[seq % this.history.length] === seq) this.stats.duplicates++;
        else this.stats.late++;
        return [];
      }
      // Far away: a restarted source, or a stray packet. Resync only when the next packet follows it.
      if (seq === this.badSeq) {
        this.stats.resyncs++;
        const out = this.flush();
        out.push(...this.restart(p));
        return out;
      }
      this.badSeq = (seq + 1) & 0xffff;
      return [];
    }
    this.badSeq = -1;

    const out: RtpPacket[] = [];
    let dist = d;
    while (dist >= this.window) {
      if (this.held === 0) {
        // Nothing held: the whole gap is lost, jump straight to this packet.
        this.stats.lost += dist;
        this.expected = seq;
        this.head = 0;
        dist = 0;
        break;
      }
      this.skipGap();
      this.drain(out);
      dist = (seq - this.expected) & 0xffff;
    }

    const slot = (this.head + dist) % this.window;
    if (this.ring[slot]) {
      this.stats.duplicates++;
      return out;
    }
    if (dist < this.furthest) this.stats.reordered++;
    this.ring[slot] = p;
    this.held++;
    if (dist > this.furthest) this.furthest = dist;
    this.drain(out);
    return out;
  }

  /** Releases every held packet in order, declaring the gaps between them lost. */
  flush(): RtpPacket[] {
    const out: RtpPacket[] = [];
    while (this.held > 0) {
      this.skipGap();
      this.drain(out);
    }
    return out;
  }

  /** Forgets all state (held packets are discarded, counters kept). */
  reset(): void {
    this.ring.fill(undefined);
    this.history.fill(-1);
    this.held = 0;
    this.head = 0;
    this.expected = -1;
    this.furthest = -1;
    this.badSeq = -1;
  }

  private restart(p: RtpPacket): RtpPacket[] {
    this.ring.fill(undefined);
    this.held = 0;
    this.head = 0;
    this.furthest = -1;
    this.badSeq = -1;
    this.expected = (p.sequenceNumber + 1) & 0xffff;
    this.remember(p.sequenceNumber);
    return [p];
  }

  /** Advances over empty slots up to the next held packet, counting them lost. */
  private skipGap(): void {
    while (this.held > 0 && !this.ring[this.head]) {
      this.stats.lost++;
      this.advance();
    }
  }

  private drain(out: RtpPacket[]): void {
    for (let p = this.ring[this.head]; p; p = this.ring[this.head]) {
      this.ring[this.head] = undefined;
      this.held--;
      this.remember(p.sequenceNumber);
      out.push(p);
      this.advance();
    }
    if (this.held === 0) this.furthest = -1;
  }

  private advance(): void {
    this.head = (this.head + 1) % this.window;
    this.expected = (this.expected + 1) & 0xffff;
    if (this.furthest >= 0) this.furthest--;
  }

  private remember(seq: number): void {
    this.history[seq % this.history.length] = seq;
  }
}
