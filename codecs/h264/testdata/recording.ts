/**
 * Recorded RTP fixtures: a sequence of packets, each as
 *
 *   | length (32-bit big-endian) | RTP packet bytes (length) |
 *
 * written by record.ts beside this file.
 */
import { readFileSync } from 'node:fs';

/** Reads every packet of a recording (views into one buffer). */
export function readRecording(path: string): Uint8Array[] {
  const buf = new Uint8Array(readFileSync(path));
  const packets: Uint8Array[] = [];
  let o = 0;
  while (o + 4 <= buf.length) {
    const len = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
    o += 4;
    if (o + len > buf.length) throw new Error(`${path}: truncated at ${o}`);
    packets.push(buf.subarray(o, o + len));
    o += len;
  }
  return packets;
}

/** Encodes packets in the recording format. */
export function encodeRecording(packets: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(packets.reduce((n, p) => n + 4 + p.length, 0));
  let o = 0;
  for (const p of packets) {
    new DataView(out.buffer).setUint32(o, p.length);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}
