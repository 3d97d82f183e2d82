import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRtp, type RtpPacket } from '../rtp/packet.js';
import { readRecording } from '../h264/testdata/recording.js';
import { H265Depacketizer } from './depacketizer.js';
import { H265Packetizer } from './packetizer.js';
import { h265NalType } from './nal.js';
import { parseH265Sps } from './sps.js';

/** NAL with a 2-byte header of `type` (layer 0, TID 1); byte 2 bit 7 = first_slice_segment_in_pic_flag. */
const nal = (type: number, len = 20, fill = 0) => Uint8Array.from({ length: len }, (_, i) => (i === 0 ? type << 1 : i === 1 ? 1 : i === 2 ? 0x80 : (fill + i) & 0xff));
const VPS = nal(32, 8);
const SPS = nal(33, 10);
const PPS = nal(34, 6);
const SEI = nal(39, 7);
const AUD = nal(35, 3);
const idr = (fill = 1, len = 40) => nal(19, len, fill);
const trail = (fill = 2, len = 30) => nal(1, len, fill);

const rtp = (payload: Uint8Array, seq: number, ts: number, marker = false): RtpPacket => ({
  marker, payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc: 1, csrcs: [], padding: false, payload,
});
const ap = (...nalus: Uint8Array[]) => Uint8Array.from([48 << 1, 1, ...nalus.flatMap((n) => [n.length >> 8, n.length & 0xff, ...n])]);
function fu(n: Uint8Array, parts: number): Uint8Array[] {
  const data = n.subarray(2);
  const step = Math.ceil(data.length / parts);
  return Array.from({ length: parts }, (_, k) => Uint8Array.from([
    (n[0]! & 0x81) | (49 << 1), n[1]!, (k === 0 ? 0x80 : 0) | (k === parts - 1 ? 0x40 : 0) | h265NalType(n),
    ...data.subarray(k * step, (k + 1) * step),
  ]));
}
const sendUnit = (d: H265Depacketizer, payloads: Uint8Array[], seq: number, ts: number) =>
  payloads.flatMap((p, i) => d.push(rtp(p, seq + i, ts, i === payloads.length - 1), 0));
const hex = (nalus: readonly Uint8Array[]) => nalus.map((n) => Buffer.from(n).toString('hex'));

describe('H265Depacketizer (crafted packets)', () => {
  it('assembles an AP of VPS/SPS/PPS and an IDR in FUs', () => {
    const d = new H265Depacketizer();
    const big = idr(3, 4000);
    const out = sendUnit(d, [ap(VPS, SPS, PPS), ...fu(big, 4)], 65534, 0);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.codec, 'H265');
    assert.equal(out[0]!.keyframe, true);
    assert.deepEqual(hex(out[0]!.nalus), hex([VPS, SPS, PPS, big]));
    assert.deepEqual([d.vps, d.sps, d.pps].map((x) => hex([x!])[0]), hex([VPS, SPS, PPS]));
    const p = sendUnit(d, [trail()], 65534 + 5, 3000);
    assert.equal(p.length, 1);
    assert.equal(p[0]!.keyframe, false);
  });

  it('injects VPS/SPS/PPS before an IRAP that lacks them, drops AUD, ignores the marker on parameter sets', () => {
    const d = new H265Depacketizer({ vps: VPS, sps: SPS, pps: PPS });
    const out = [rtp(AUD, 0, 0, true), rtp(SEI, 1, 0, true), rtp(nal(21), 2, 0, true)].flatMap((p) => d.push(p, 0));
    assert.equal(out.length, 1);
    assert.deepEqual(hex(out[0]!.nalus), hex([VPS, SPS, PPS, SEI, nal(21)]), 'CRA is a keyframe too');
    const d2 = new H265Depacketizer({ vps: VPS, pps: PPS });
    const newSps = nal(33, 12, 9);
    assert.deepEqual(hex(sendUnit(d2, [newSps, idr()], 0, 0)[0]!.nalus), hex([VPS, newSps, PPS, idr()]), 'VPS before SPS');
  });

  it('drops the unit with a lost FU and waits for the next IRAP', () => {
    const d = new H265Depacketizer({ vps: VPS, sps: SPS, pps: PPS, reorderWindow: 2 });
    assert.equal(sendUnit(d, [idr()], 0, 0).length, 1);
    const frags = fu(trail(4, 900), 3);
    const out = [rtp(frags[0]!, 1, 3000), rtp(frags[2]!, 3, 3000, true)].flatMap((p) => d.push(p, 0));
    out.push(...sendUnit(d, [trail()], 4, 6000), ...sendUnit(d, [trail()], 5, 9000));
    assert.equal(out.length, 0);
    assert.equal(sendUnit(d, [idr(8)], 6, 12000).length, 1);
    assert.deepEqual([d.stats.lostPackets, d.stats.droppedUnits], [1, 3]);
  });

  it('counts DONL streams and PACI as unsupported and garbage as malformed, never throwing', () => {
    const donl = new H265Depacketizer({ vps: VPS, sps: SPS, pps: PPS, maxDonDiff: 2 });
    assert.equal(sendUnit(donl, [idr()], 0, 0).length, 0);
    assert.equal(donl.stats.unsupported, 1);
    const d = new H265Depacketizer({ vps: VPS, sps: SPS, pps: PPS });
    d.push(rtp(Uint8Array.of(50 << 1, 1, 0, 0), 0, 0, true), 0);
    assert.equal(d.stats.unsupported, 1);
    const bad = [Uint8Array.of(0x40), Uint8Array.of(0x80 | (19 << 1), 1, 0), Uint8Array.of(48 << 1, 1, 0, 9, 1),
      Uint8Array.of(49 << 1, 1, 0xc1, 5), Uint8Array.of(49 << 1, 1, 0x81), Uint8Array.of(60 << 1, 1, 0)];
    bad.forEach((b, i) => d.push(rtp(b, 1 + i, i * 3000, true), 0));
    assert.equal(d.stats.malformed, bad.length);
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 30 }), (payloads) => {
      const f = new H265Depacketizer({ vps: VPS, sps: SPS, pps: PPS });
      payloads.forEach((p, i) => f.push(rtp(p, i, (i >> 2) * 3000, (i & 3) === 3), 0));
      f.flush(0);
    }), { numRuns: 500 });
  });
});

describe('H265Packetizer', () => {
  it('round-trips through the depacketizer with payloads <= maxPayload', () => {
    const p = new H265Packetizer(1200);
    const units = [[VPS, SPS, PPS, idr(1, 5000)], [trail(2, 1200)], [trail(3, 1201), trail(4, 10)]];
    let seq = 65530;
    const d = new H265Depacketizer();
    const out = units.flatMap((nalus, u) => {
      const payloads = p.packetize(nalus);
      assert.ok(payloads.every((x) => x.length <= 1200));
      return payloads.flatMap((x, i) => d.push(rtp(x, seq++, u * 3000, i === payloads.length - 1), 0));
    });
    assert.deepEqual(out.map((u) => hex(u.nalus)), units.map(hex));
    assert.equal(p.packetize([trail(2, 1200)])[0]!.length, 1200, 'fits: single NAL unit packet');
  });
});

describe('H265 recorded ffmpeg stream', () => {
  const packets = readRecording(new URL('./testdata/h265-640x360.bin', import.meta.url).pathname).map((b) => parseRtp(b)!);

  it('yields 50 units with IRAP keyframes at 0 and 25 carrying a 640x360 SPS', () => {
    const d = new H265Depacketizer();
    const units = [...packets.flatMap((p) => d.push(p, 0)), ...d.flush(0)];
    assert.equal(units.length, 50);
    assert.deepEqual(units.flatMap((u, i) => (u.keyframe ? [i] : [])), [0, 25]);
    for (const u of units.filter((x) => x.keyframe)) {
      assert.deepEqual(u.nalus.slice(0, 3).map(h265NalType), [32, 33, 34]);
    }
    const info = parseH265Sps(d.sps!)!;
    assert.deepEqual([info.width, info.height, info.profileIdc], [640, 360, 1]);
    assert.equal(d.stats.malformed + d.stats.droppedUnits + d.stats.lostPackets, 0);
  });

  it('repacketizes into the same units', () => {
    const d1 = new H265Depacketizer();
    const original = [...packets.flatMap((p) => d1.push(p, 0)), ...d1.flush(0)];
    const p = new H265Packetizer(1200);
    const d2 = new H265Depacketizer();
    let seq = 0;
    const again = original.flatMap((u, k) => {
      const payloads = p.packetize(u.nalus);
      return payloads.flatMap((x, i) => d2.push(rtp(x, seq++, k * 3600, i === payloads.length - 1), 0));
    });
    assert.deepEqual(again.map((u) => hex(u.nalus)), original.map((u) => hex(u.nalus)));
  });
});
