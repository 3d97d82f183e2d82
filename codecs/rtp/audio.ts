/**
 * Audio pass-through (RFC 3551 §4.5 G.711, RFC 7587 Opus, RFC 3640 AAC kept as is): one RTP
 * payload becomes one AudioUnit with an unwrapped timestamp.
 *
 *   RTP packet | header | payload ........ |  ->  AudioUnit { pts, payload (own copy) }
 */
import type { AudioCodec, AudioUnit } from '../access-unit.js';
import type { RtpPacket } from './packet.js';
import { ReorderBuffer } from './reorder.js';
import { TimestampUnwrapper } from './timestamp.js';

/** Counters of an AudioDepacketizer. */
export interface AudioDepacketizerStats {
  packets: number;
  units: number;
  lostPackets: number;
  duplicates: number;
  reordered: number;
  /** Empty payloads. */
  malformed: number;
}

/** RTP -> audio units, in sequence order (a short reorder window keeps latency low). */
export class AudioDepacketizer {
  private readonly reorder: ReorderBuffer;
  private readonly unwrapper = new TimestampUnwrapper();
  private readonly counts = { packets: 0, units: 0, malformed: 0 };

  constructor(
    readonly codec: AudioCodec,
    readonly clockRate: number,
    reorderWindow = 8,
  ) {
    this.reorder = new ReorderBuffer(reorderWindow);
  }

  /** Counters (a snapshot). */
  get stats(): AudioDepacketizerStats {
    const r = this.reorder.stats;
    return { ...this.counts, lostPackets: r.lost, duplicates: r.duplicates + r.late, reordered: r.reordered };
  }

  /** Adds one RTP packet; returns the units now in order. Never throws. */
  push(packet: RtpPacket, receivedAt: number = performance.now()): AudioUnit[] {
    this.counts.packets++;
    const out: AudioUnit[] = [];
    for (const p of this.reorder.push(packet)) this.emit(p, receivedAt, out);
    return out;
  }

  /** Releases packets held for reordering. */
  flush(receivedAt: number = performance.now()): AudioUnit[] {
    const out: AudioUnit[] = [];
    for (const p of this.reorder.flush()) this.emit(p, receivedAt, out);
    return out;
  }

  private emit(p: RtpPacket, receivedAt: number, out: AudioUnit[]): void {
    if (p.payload.length === 0) {
      this.counts.malformed++;
      return;
    }
    this.counts.units++;
    out.push({
      kind: 'audio', codec: this.codec, clockRate: this.clockRate, pts: this.unwrapper.unwrap(p.timestamp),
      payload: p.payload.slice(), receivedAt,
    });
  }
}
