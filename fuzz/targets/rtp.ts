/**
 * RTP and RTCP packets off the wire: parseRtp (codecs/rtp/packet.ts) and parseRtcp
 * (codecs/rtp/rtcp.ts), seeded with the recorded H.264/H.265 packets, crafted packets with CSRCs,
 * a header extension and padding, and the compound RTCP our peers send.
 *
 * Checks: parseRtp returns null or a packet whose payload lies inside the input; a packet without
 * padding serializes back to exactly the input bytes; parseRtcp never reads past its input and
 * expands NACKs to valid sequence numbers; our builders' packets parse back to what was built.
 * ReorderBuffer (codecs/rtp/reorder.ts) on hostile sequence numbers: each packet out at most once,
 * in order except across a confirmed restart, never more held than the window.
 */
import fc from 'fast-check';
import { isRtcpPacket, parseRtp, serializeRtp, type RtpPacket } from '../../codecs/rtp/packet.js';
import { ReorderBuffer } from '../../codecs/rtp/reorder.js';
import {
  buildBye, buildFir, buildNack, buildPli, buildReceiverReport, buildSdes, buildSenderReport, compoundRtcp, parseRtcp,
} from '../../codecs/rtp/rtcp.js';
import { invariant, type FuzzTarget } from '../harness.js';
import { mutatedBytes } from '../mutate.js';
import { h264Rtp, h265Rtp } from '../seeds.js';

/** A crafted RTP packet: 2 CSRCs, a one-word extension, 4 bytes of padding. */
const FULL_RTP = Uint8Array.from([
  0xb2, 0xe0, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 2,
  0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0, 0x65, 0x88, 0x80, 0x40, 0, 0, 0, 4,
]);
/** G.711 audio, as a Hikvision camera sends it. */
const PCMA = Uint8Array.from([0x80, 0x08, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, ...new Array<number>(160).fill(0xd5)]);

const block = { ssrc: 0x1234, fractionLost: 12, cumulativeLost: -3, highestSeq: 0x10020, jitter: 90, lsr: 0xabcd, dlsr: 65536 };
const RTCP_SEEDS = [
  compoundRtcp([buildSenderReport({ ssrc: 7, ntpSec: 3913056000, ntpFrac: 0x80000000, rtpTimestamp: 90000, packetCount: 10, octetCount: 12000, reports: [block] }), buildSdes(7, 'camera@192.168.1.64')]),
  compoundRtcp([buildReceiverReport(9, [block, block]), buildSdes(9, 'streamsight'), buildBye(9)]),
  compoundRtcp([buildReceiverReport(9), buildNack(9, 7, [100, 101, 103, 117, 200]), buildPli(9, 7), buildFir(9, 7, 3)]),
  Uint8Array.from([0x81, 0xcb, 0, 3, 0, 0, 0, 7, 5, 0x62, 0x79, 0x65, 0x21, 0, 0, 0]), // BYE with reason "bye!"
  Uint8Array.from([0xa0, 0xcc, 0, 2, 0, 0, 0, 7, 0x6e, 0x61, 0, 4]), // APP with padding
];

/** RTP: parse, and serialize back when there was no padding. */
export function rtpTarget(): FuzzTarget<Uint8Array> {
  return {
    name: 'rtp',
    covers: 'parseRtp (+ serializeRtp round trip), isRtcpPacket',
    arbitrary: mutatedBytes([...h264Rtp.slice(0, 12), ...h265Rtp.slice(0, 12), FULL_RTP, PCMA], { maxRandomLength: 64 }),
    run(buf) {
      isRtcpPacket(buf);
      const p = parseRtp(buf);
      if (!p) return;
      invariant(p.payload.buffer === buf.buffer && p.payload.byteOffset >= buf.byteOffset && p.payload.byteOffset + p.payload.length <= buf.byteOffset + buf.length, 'payload outside the input');
      invariant(p.csrcs.length <= 15 && p.payloadType <= 127 && p.sequenceNumber <= 0xffff, 'header field out of range');
      if (p.padding) return;
      const out = serializeRtp(p);
      invariant(out.length === buf.length && out.every((b, i) => b === buf[i]), 'serializeRtp(parseRtp(b)) differs from b');
    },
  };
}

/** RTCP compound packets. */
export function rtcpTarget(): FuzzTarget<Uint8Array> {
  return {
    name: 'rtcp',
    covers: 'parseRtcp (SR, RR, SDES, BYE, APP, NACK, PLI, FIR, padding, compound)',
    arbitrary: mutatedBytes(RTCP_SEEDS, { maxRandomLength: 128 }),
    run(buf) {
      const packets = parseRtcp(buf);
      for (const p of packets) {
        if (p.type === 'nack') invariant(p.lost.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffff), 'NACK seq out of range');
        if (p.type === 'sr' || p.type === 'rr') invariant(p.reports.every((r) => r.cumulativeLost >= -0x800000 && r.cumulativeLost <= 0x7fffff), 'lost out of 24 bits');
        if (p.type === 'other') invariant(p.data.length <= buf.length, 'raw body larger than the input');
      }
      if (buf.length === RTCP_SEEDS[2]!.length && buf.every((b, i) => b === RTCP_SEEDS[2]![i])) {
        invariant(packets.length === 4 && packets[1]!.type === 'nack' && packets[1]!.lost.join() === '100,101,103,117,200', 'built NACK does not parse back');
      }
    },
  };
}

/** Sequence-number moves of a hostile or broken sender: mostly +1, some jumps back and forth, some absolute. */
const seqStep = fc.oneof(
  { arbitrary: fc.constant(1), weight: 12 },
  { arbitrary: fc.integer({ min: -40, max: 40 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 0xffff }).map((s) => ({ to: s })), weight: 1 },
);

/** ReorderBuffer (codecs/rtp/reorder.ts) on sequence numbers from the network. */
export function reorderTarget(): FuzzTarget<{ first: number; window: number; steps: Array<number | { to: number }> }> {
  return {
    name: 'rtp-reorder',
    covers: 'ReorderBuffer: duplicates, reordering, loss, wrap-around, restarts',
    arbitrary: fc.record({ first: fc.nat(0xffff), window: fc.integer({ min: 1, max: 64 }), steps: fc.array(seqStep, { maxLength: 300 }) }),
    run({ first, window, steps }) {
      const buf = new ReorderBuffer(window);
      const emitted = new Set<RtpPacket>();
      let seq = first;
      let last = -1;
      const take = (out: RtpPacket[], resyncsBefore: number): void => {
        for (const p of out) {
          invariant(!emitted.has(p), `packet ${p.sequenceNumber} emitted twice`);
          emitted.add(p);
          // In order: each emitted packet ahead of the previous one, unless the source restarted.
          if (last >= 0 && buf.stats.resyncs === resyncsBefore) {
            const d = (p.sequenceNumber - last) & 0xffff;
            invariant(d >= 1 && d < 0x8000, `emitted ${p.sequenceNumber} after ${last}`);
          }
          last = p.sequenceNumber;
        }
        invariant(buf.pending <= window, `holds ${buf.pending} packets, window ${window}`);
      };
      for (const step of steps) {
        seq = typeof step === 'number' ? (seq + step) & 0xffff : step.to;
        const resyncs = buf.stats.resyncs;
        take(buf.push({ ...PACKET, sequenceNumber: seq }), resyncs);
      }
      take(buf.flush(), buf.stats.resyncs);
      invariant(buf.pending === 0, 'flush left packets held');
    },
  };
}

const PACKET: RtpPacket = { marker: false, payloadType: 96, sequenceNumber: 0, timestamp: 0, ssrc: 1, csrcs: [], padding: false, payload: new Uint8Array(1) };
