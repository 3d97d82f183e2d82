import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRtp, type RtpPacket } from '../rtp/packet.js';
import { H264Depacketizer } from './depacketizer.js';
import { H264Packetizer } from './packetizer.js';
import { readRecording } from './testdata/recording.js';

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const nal = (header: number, len: number, seed = 0) => Uint8Array.from({ length: len }, (_, i) => (i === 0 ? header : i === 1 ? 0x88 : (i * 31 + seed) & 0xff));
const hex = (nalus: readonly Uint8Array[]) => nalus.map((n) => Buffer.from(n).toString('hex'));

/** Wraps payloads of consecutive units in RTP packets, marker on each unit's last. */
function toRtp(units: Uint8Array[][], p: H264Packetizer, seq0 = 65000): RtpPacket[] {
  let seq = seq0;
  return units.flatMap((nalus, u) => {
    const payloads = p.packetize(nalus);
    return payloads.map((payload, i) => ({
      marker: i === payloads.length - 1, payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: u * 3000, ssrc: 1,
      csrcs: [], padding: false, payload,
    }));
  });
}

describe('H264Packetizer', () => {
  it('aggregates SPS+PPS into a STAP-A with the highest NRI', () => {
    const out = new H264Packetizer().packetize([SPS, Uint8Array.of(0x08, 1), nal(0x65, 5000)]);
    assert.equal(out[0]![0], 0x60 | 24);
    assert.deepEqual([...out[0]!.subarray(1, 8)], [0, 5, ...SPS]);
    assert.ok(out.slice(1).every((p) => (p[0]! & 0x1f) === 28));
  });

  it('sends a NAL that fits as is, without copying, and fragments one byte larger', () => {
    const p = new H264Packetizer(1200);
    const fits = nal(0x41, 1200);
    const [single] = p.packetize([fits]);
    assert.equal(single, fits);
    const frags = p.packetize([nal(0x41, 1201)]);
    assert.equal(frags.length, 2);
    assert.deepEqual(frags.map((f) => [f[0], f[1]]), [[0x5c, 0x81], [0x5c, 0x41]]);
    assert.equal(frags[0]!.length + frags[1]!.length, 1200 + 2 * 2);
  });

  it('round-trips random access units through the depacketizer, every payload <= maxPayload', () => {
    fc.assert(fc.property(
      fc.array(fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 100, max: 1400 }),
      (sizes, max) => {
        const p = new H264Packetizer(max);
        const units = sizes.map((s, u) => [
          ...(u === 0 ? [SPS, PPS] : []),
          ...s.map((len, k) => nal(u === 0 ? 0x65 : 0x41, len + 1, u * 7 + k)),
        ]);
        const packets = toRtp(units, p);
        assert.ok(packets.every((x) => x.payload.length <= max));
        const d = new H264Depacketizer();
        const out = packets.flatMap((x) => d.push(x, 0));
        assert.deepEqual(out.map((u) => hex(u.nalus)), units.map(hex));
      },
    ), { numRuns: 200 });
  });

  it('repacketizes the recorded stream into the same access units', () => {
    const packets = readRecording(new URL('./testdata/h264-640x360.bin', import.meta.url).pathname).map((b) => parseRtp(b)!);
    const d1 = new H264Depacketizer();
    const original = [...packets.flatMap((x) => d1.push(x, 0)), ...d1.flush(0)];
    const p = new H264Packetizer(1200);
    const rtp = toRtp(original.map((u) => [...u.nalus]), p, 0);
    assert.ok(rtp.every((x) => x.payload.length <= 1200));
    const d2 = new H264Depacketizer();
    const again = rtp.flatMap((x) => d2.push(x, 0));
    assert.equal(again.length, original.length);
    assert.deepEqual(again.map((u) => hex(u.nalus)), original.map((u) => hex(u.nalus)));
  });
});
