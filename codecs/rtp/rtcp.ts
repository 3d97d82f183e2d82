/**
 * RTCP, RFC 3550 §6 (SR, RR, SDES, BYE), RFC 4585 §6 (generic NACK, PLI), RFC 5104 §4.3.1 (FIR).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P| RC/FMT  |      PT       |     length (words - 1)        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | SR: ssrc, NTP msw, NTP lsw, RTP ts, packets, octets, blocks   |
 *   | RR: ssrc, blocks      block: ssrc | fraction(8) lost(24) |    |
 *   |   ext. highest seq | jitter | LSR | DLSR                      |
 *   | PSFB/RTPFB: sender ssrc, media ssrc, FCI                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * A compound packet is several of these back to back.
 */
import { readU32, writeU32 } from './packet.js';

/** RTCP packet types. */
export const RtcpType = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204, RTPFB: 205, PSFB: 206 } as const;

/** One reception report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, 0..255 (fixed point /256). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit. */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | max seq). */
  highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received, 0 if none. */
  lsr: number;
  /** Delay since that SR in 1/65536 s units. */
  dlsr: number;
}

/** Sender report. NTP time is split into its 32-bit seconds and fraction words. */
export interface SenderReport {
  type: 'sr'; ssrc: number; ntpSec: number; ntpFrac: number; rtpTimestamp: number;
  packetCount: number; octetCount: number; reports: ReportBlock[];
}
/** Receiver report. */
export interface ReceiverReport { type: 'rr'; ssrc: number; reports: ReportBlock[] }
/** Source description; only the item type and its text are kept. */
export interface SourceDescription { type: 'sdes'; chunks: Array<{ ssrc: number; items: Array<{ type: number; text: string }> }> }
/** Goodbye. */
export interface Bye { type: 'bye'; ssrcs: number[]; reason?: string }
/** Picture loss indication (PSFB FMT 1). */
export interface Pli { type: 'pli'; senderSsrc: number; mediaSsrc: number }
/** Full intra request (PSFB FMT 4). */
export interface Fir { type: 'fir'; senderSsrc: number; entries: Array<{ ssrc: number; seq: number }> }
/** Generic NACK (RTPFB FMT 1), expanded to the lost sequence numbers. */
export interface Nack { type: 'nack'; senderSsrc: number; mediaSsrc: number; lost: number[] }
/** Any other packet, kept raw (`data` is the body after the 4-byte header, a view). */
export interface OtherRtcp { type: 'other'; packetType: number; count: number; data: Uint8Array }
/** One packet of a compound RTCP packet. */
export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye | Pli | Fir | Nack | OtherRtcp;

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** Parses a compound RTCP packet. Stops at the first malformed packet and returns what came before; never throws. */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  let offset = 0;
  while (offset + 4 <= buf.length) {
    const b0 = buf[offset]!;
    if (b0 >> 6 !== 2) break;
    const count = b0 & 0x1f;
    const pt = buf[offset + 1]!;
    const size = (((buf[offset + 2]! << 8) | buf[offset + 3]!) + 1) * 4;
    if (offset + size > buf.length) break;
    let end = offset + size;
    if (b0 & 0x20) {
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > size - 4) break;
      end -= pad;
    }
    const body = buf.subarray(offset + 4, end);
    const packet = parseOne(pt, count, body);
    if (!packet) break;
    out.push(packet);
    offset += size;
  }
  return out;
}

function parseOne(pt: number, count: number, b: Uint8Array): RtcpPacket | null {
  switch (pt) {
    case RtcpType.SR: {
      if (b.length < 24 + count * 24) return null;
      return {
        type: 'sr', ssrc: readU32(b, 0), ntpSec: readU32(b, 4), ntpFrac: readU32(b, 8),
        rtpTimestamp: readU32(b, 12), packetCount: readU32(b, 16), octetCount: readU32(b, 20),
        reports: parseBlocks(b, 24, count),
      };
    }
    case RtcpType.RR:
      if (b.length < 4 + count * 24) return null;
      return { type: 'rr', ssrc: readU32(b, 0), reports: parseBlocks(b, 4, count) };
    case RtcpType.SDES:
      return parseSdes(b, count);
    case RtcpType.BYE: {
      if (b.length < count * 4) return null;
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(readU32(b, i * 4));
      const bye: Bye = { type: 'bye', ssrcs };
      const r = count * 4;
      if (r < b.length) {
        const len = b[r]!;
        if (r + 1 + len > b.length) return null;
        bye.reason = textDecoder.decode(b.subarray(r + 1, r + 1 + len));
      }
      return bye;
    }
    case RtcpType.RTPFB:
      if (count === 1) {
        if (b.length < 8) return null;
        const lost: number[] = [];
        for (let o = 8; o + 4 <= b.length; o += 4) {
          const pid = (b[o]! << 8) | b[o + 1]!;
          const blp = (b[o + 2]! << 8) | b[o + 3]!;
          lost.push(pid);
          for (let i = 0; i < 16; i++) if (blp & (1 << i)) lost.push((pid + i + 1) & 0xffff);
        }
        return { type: 'nack', senderSsrc: readU32(b, 0), mediaSsrc: readU32(b, 4), lost };
      }
      break;
    case RtcpType.PSFB:
      if (count === 1) {
        if (b.length < 8) return null;
        return { type: 'pli', senderSsrc: readU32(b, 0), mediaSsrc: readU32(b, 4) };
      }
      if (count === 4) {
        if (b.length < 8) return null;
        const entries: Fir['entries'] = [];
        for (let o = 8; o + 8 <= b.length; o += 8) entries.push({ ssrc: readU32(b, o), seq: b[o + 4]! });
        return { type: 'fir', senderSsrc: readU32(b, 0), entries };
      }
      break;
  }
  return { type: 'other', packetType: pt, count, data: b };
}

function parseBlocks(b: Uint8Array, offset: number, count: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (let i = 0; i < count; i++, offset += 24) {
    const lostRaw = (b[offset + 5]! << 16) | (b[offset + 6]! << 8) | b[offset + 7]!;
    blocks.push({
      ssrc: readU32(b, offset),
      fractionLost: b[offset + 4]!,
      cumulativeLost: lostRaw & 0x800000 ? lostRaw - 0x1000000 : lostRaw,
      highestSeq: readU32(b, offset + 8),
      jitter: readU32(b, offset + 12),
      lsr: readU32(b, offset + 16),
      dlsr: readU32(b, offset + 20),
    });
  }
  return blocks;
}

function parseSdes(b: Uint8Array, count: number): SourceDescription | null {
  const chunks: SourceDescription['chunks'] = [];
  let o = 0;
  for (let c = 0; c < count; c++) {
    if (o + 4 > b.length) return null;
    const chunk = { ssrc: readU32(b, o), items: [] as Array<{ type: number; text: string }> };
    o += 4;
    for (;;) {
      if (o >= b.length) return null;
      const type = b[o]!;
      if (type === 0) break;
      if (o + 2 > b.length) return null;
      const len = b[o + 1]!;
      if (o + 2 + len > b.length) return null;
      chunk.items.push({ type, text: textDecoder.decode(b.subarray(o + 2, o + 2 + len)) });
      o += 2 + len;
    }
    o = (o + 4) & ~3; // the null item, then padding to the next 32-bit boundary
    chunks.push(chunk);
  }
  return { type: 'sdes', chunks };
}

function header(out: Uint8Array, offset: number, count: number, pt: number, bytes: number): void {
  out[offset] = 0x80 | (count & 0x1f);
  out[offset + 1] = pt;
  const words = bytes / 4 - 1;
  out[offset + 2] = words >> 8;
  out[offset + 3] = words & 0xff;
}

function writeBlocks(out: Uint8Array, offset: number, reports: readonly ReportBlock[]): void {
  for (const r of reports) {
    writeU32(out, offset, r.ssrc);
    writeU32(out, offset + 4, ((r.fractionLost & 0xff) << 24) | (r.cumulativeLost & 0xffffff));
    writeU32(out, offset + 8, r.highestSeq);
    writeU32(out, offset + 12, r.jitter);
    writeU32(out, offset + 16, r.lsr);
    writeU32(out, offset + 20, r.dlsr);
    offset += 24;
  }
}

/** Builds a receiver report (at most 31 blocks). Append `buildSdes` output for a valid compound packet. */
export function buildReceiverReport(ssrc: number, reports: readonly ReportBlock[] = []): Uint8Array {
  const blocks = reports.slice(0, 31);
  const out = new Uint8Array(8 + blocks.length * 24);
  header(out, 0, blocks.length, RtcpType.RR, out.length);
  writeU32(out, 4, ssrc);
  writeBlocks(out, 8, blocks);
  return out;
}

/** Builds a sender report. */
export function buildSenderReport(sr: Omit<SenderReport, 'type' | 'reports'> & { reports?: readonly ReportBlock[] }): Uint8Array {
  const blocks = (sr.reports ?? []).slice(0, 31);
  const out = new Uint8Array(28 + blocks.length * 24);
  header(out, 0, blocks.length, RtcpType.SR, out.length);
  writeU32(out, 4, sr.ssrc);
  writeU32(out, 8, sr.ntpSec);
  writeU32(out, 12, sr.ntpFrac);
  writeU32(out, 16, sr.rtpTimestamp);
  writeU32(out, 20, sr.packetCount);
  writeU32(out, 24, sr.octetCount);
  writeBlocks(out, 28, blocks);
  return out;
}

/** Builds an SDES packet with one chunk carrying a CNAME item (RFC 3550 §6.5.1). */
export function buildSdes(ssrc: number, cname: string): Uint8Array {
  const text = textEncoder.encode(cname).subarray(0, 255);
  const body = 4 + 2 + text.length + 1; // ssrc, CNAME item, null item
  const out = new Uint8Array(4 + ((body + 3) & ~3));
  header(out, 0, 1, RtcpType.SDES, out.length);
  writeU32(out, 4, ssrc);
  out[8] = 1;
  out[9] = text.length;
  out.set(text, 10);
  return out;
}

/** Builds a BYE packet for one SSRC. */
export function buildBye(ssrc: number): Uint8Array {
  const out = new Uint8Array(8);
  header(out, 0, 1, RtcpType.BYE, 8);
  writeU32(out, 4, ssrc);
  return out;
}

/** Builds a picture loss indication. */
export function buildPli(senderSsrc: number, mediaSsrc: number): Uint8Array {
  const out = new Uint8Array(12);
  header(out, 0, 1, RtcpType.PSFB, 12);
  writeU32(out, 4, senderSsrc);
  writeU32(out, 8, mediaSsrc);
  return out;
}

/** Builds a full intra request for one media source; `seq` is the FIR command sequence number. */
export function buildFir(senderSsrc: number, mediaSsrc: number, seq: number): Uint8Array {
  const out = new Uint8Array(20);
  header(out, 0, 4, RtcpType.PSFB, 20);
  writeU32(out, 4, senderSsrc);
  writeU32(out, 12, mediaSsrc);
  out[16] = seq & 0xff;
  return out;
}

/** Builds a generic NACK, packing the lost sequence numbers into PID/BLP pairs. */
export function buildNack(senderSsrc: number, mediaSsrc: number, lost: readonly number[]): Uint8Array {
  const pairs: Array<[number, number]> = [];
  for (const seq of lost) {
    const last = pairs[pairs.length - 1];
    const d = last ? (seq - last[0]) & 0xffff : 0;
    if (last && d >= 1 && d <= 16) last[1] |= 1 << (d - 1);
    else if (!last || d !== 0) pairs.push([seq & 0xffff, 0]);
  }
  const out = new Uint8Array(12 + pairs.length * 4);
  header(out, 0, 1, RtcpType.RTPFB, out.length);
  writeU32(out, 4, senderSsrc);
  writeU32(out, 8, mediaSsrc);
  pairs.forEach(([pid, blp], i) => writeU32(out, 12 + i * 4, ((pid << 16) | blp) >>> 0));
  return out;
}

/** Concatenates RTCP packets into one compound packet. */
export function compoundRtcp(packets: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of packets) { out.set(p, o); o += p.length; }
  return out;
}

/** The middle 32 bits of a 64-bit NTP timestamp, as carried in LSR (RFC 3550 §6.4.1). */
export function ntpMiddle32(ntpSec: number, ntpFrac: number): number {
  return (((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16)) >>> 0;
}

/** NTP seconds (since 1900) and fraction words for a Unix time in milliseconds. */
export function ntpFromUnixMs(ms: number): { ntpSec: number; ntpFrac: number } {
  const sec = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - sec * 1000) / 1000) * 0x100000000);
  return { ntpSec: (sec + 2208988800) >>> 0, ntpFrac: frac >>> 0 };
}

/** Receiver statistics (RFC 3550 A.1/A.3/A.8), defined in reception-stats.ts. */
export { ReceptionStats } from './reception-stats.js';
