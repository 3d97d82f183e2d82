import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRtp, type RtpPacket } from '../rtp/packet.js';
import { H264Depacketizer } from './depacketizer.js';
import { parseH264Sps } from './sps.js';
import { readRecording } from './testdata/recording.js';

const SPS = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9);
const PPS = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const SEI = Uint8Array.of(0x06, 0x05, 0x01, 0xaa, 0x80);
const AUD = Uint8Array.of(0x09, 0xf0);
/** IDR / P slices; byte 1 bit 7 set = first_mb_in_slice 0. */
const idr = (fill = 1, len = 50, first = true) => Uint8Array.from({ length: len }, (_, i) => (i === 0 ? 0x65 : i === 1 ? (first ? 0x88 : 0x44) : fill));
const pSlice = (fill = 2, len = 30) => Uint8Array.from({ length: len }, (_, i) => (i === 0 ? 0x41 : i === 1 ? 0x9a : fill));

function rtp(payload: Uint8Array, seq: number, ts: number, marker = false): RtpPacket {
  return { marker, payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc: 1, csrcs: [], padding: false, payload };
}
const stapA = (...nalus: Uint8Array[]) => Uint8Array.from([0x78, ...nalus.flatMap((n) => [n.length >> 8, n.length & 0xff, ...n])]);
/** FU-A fragments of `nal` split into `parts` pieces. */
function fuA(nal: Uint8Array, parts: number): Uint8Array[] {
  const data = nal.subarray(1);
  const step = Math.ceil(data.length / parts);
  return Array.from({ length: parts }, (_, k) => Uint8Array.from([
    (nal[0]! & 0xe0) | 28, (k === 0 ? 0x80 : 0) | (k === parts - 1 ? 0x40 : 0) | (nal[0]! & 0x1f),
    ...data.subarray(k * step, (k + 1) * step),
  ]));
}
/** Pushes payloads as one access unit (marker on the last), returning the units that came out. */
function sendUnit(d: H264Depacketizer, payloads: Uint8Array[], seq: number, ts: number) {
  return payloads.flatMap((p, i) => d.push(rtp(p, seq + i, ts, i === payloads.length - 1), 0));
}
const nalHex = (nalus: readonly Uint8Array[]) => nalus.map((n) => Buffer.from(n).toString('hex'));

describe('H264Depacketizer (crafted packets)', () => {
  it('assembles single NAL unit packets', () => {
    const d = new H264Depacketizer();
    const units = sendUnit(d, [SPS, PPS, idr()], 100, 9000);
    assert.equal(units.length, 1);
    assert.equal(units[0]!.keyframe, true);
    assert.equal(units[0]!.codec, 'H264');
    assert.deepEqual(nalHex(units[0]!.nalus), nalHex([SPS, PPS, idr()]));
    const next = sendUnit(d, [pSlice()], 103, 12600);
    assert.equal(next.length, 1);
    assert.equal(next[0]!.keyframe, false);
    assert.equal(next[0]!.pts - units[0]!.pts, 3600);
    assert.deepEqual(d.sps, SPS);
    assert.deepEqual(d.pps, PPS);
  });

  it('assembles STAP-A and FU-A start/middle/end', () => {
    const d = new H264Depacketizer();
    const big = idr(7, 3000);
    const units = sendUnit(d, [stapA(SPS, PPS), ...fuA(big, 3)], 1, 0);
    assert.equal(units.length, 1);
    assert.deepEqual(nalHex(units[0]!.nalus), nalHex([SPS, PPS, big]));
    assert.equal(d.stats.units, 1);
    assert.equal(d.stats.malformed, 0);
  });

  it('drops a unit that lost a FU-A fragment and everything until the next IDR', () => {
    const d = new H264Depacketizer({ reorderWindow: 4 });
    assert.equal(sendUnit(d, [stapA(SPS, PPS), idr()], 0, 0).length, 1);
    const frags = fuA(pSlice(3, 500), 3);
    let seq = 2;
    const out = [
      ...d.push(rtp(frags[0]!, seq++, 3000), 0),
      ...(seq++, []), // middle fragment lost
      ...d.push(rtp(frags[2]!, seq++, 3000, true), 0),
    ];
    for (let i = 0; i < 5; i++) out.push(...sendUnit(d, [pSlice(i)], seq++, 6000 + i * 3000));
    assert.equal(out.length, 0, 'nothing until the next IDR');
    const after = sendUnit(d, [idr(9)], seq, 30000);
    assert.equal(after.length, 1);
    assert.equal(after[0]!.keyframe, true);
    assert.deepEqual(nalHex(after[0]!.nalus), nalHex([SPS, PPS, idr(9)]), 'SPS/PPS injected');
    assert.deepEqual(
      { lost: d.stats.lostPackets, dropped: d.stats.droppedUnits, units: d.stats.units },
      { lost: 1, dropped: 6, units: 2 },
    );
  });

  it('detects the loss with the default window once 32 later packets arrived', () => {
    const d = new H264Depacketizer();
    sendUnit(d, [SPS, PPS, idr()], 0, 0);
    let out = sendUnit(d, [pSlice()], 4, 3000); // seq 3 lost
    for (let i = 0; i < 40; i++) out = out.concat(sendUnit(d, [pSlice()], 5 + i, 6000 + i * 3000));
    assert.equal(out.length, 0);
    assert.equal(d.stats.lostPackets, 1);
    assert.ok(d.stats.droppedUnits >= 8, `dropped ${d.stats.droppedUnits}`);
  });

  it('drops duplicate packets', () => {
    const d = new H264Depacketizer();
    const [a, b, c] = fuA(idr(1, 900), 3);
    const out = [rtp(SPS, 0, 0), rtp(PPS, 1, 0), rtp(a!, 2, 0), rtp(a!, 2, 0), rtp(b!, 3, 0), rtp(c!, 4, 0, true), rtp(c!, 4, 0, true)]
      .flatMap((p) => d.push(p, 0));
    assert.equal(out.length, 1);
    assert.deepEqual(nalHex(out[0]!.nalus), nalHex([SPS, PPS, idr(1, 900)]));
    assert.equal(d.stats.duplicates, 2);
  });

  it('restores reordered packets within the window', () => {
    const d = new H264Depacketizer();
    const frags = fuA(idr(5, 2000), 4);
    const packets = [rtp(stapA(SPS, PPS), 10, 0), ...frags.map((f, i) => rtp(f, 11 + i, 0, i === 3))];
    const order = [0, 2, 1, 4, 3];
    const out = order.flatMap((i) => d.push(packets[i]!, 0));
    assert.equal(out.length, 1);
    assert.deepEqual(nalHex(out[0]!.nalus), nalHex([SPS, PPS, idr(5, 2000)]));
    assert.equal(d.stats.reordered, 2);
    assert.equal(d.stats.droppedUnits, 0);
  });

  it('handles the sequence number wrap 65535 -> 0 inside a FU-A', () => {
    const d = new H264Depacketizer();
    const out = sendUnit(d, [stapA(SPS, PPS), ...fuA(idr(3, 1000), 4)], 65533, 0);
    assert.equal(out.length, 1);
    assert.equal(d.stats.lostPackets, 0);
    assert.equal(sendUnit(d, [pSlice()], 2, 3000).length, 1); // 65533..65535, 0, 1 were the IDR
  });

  it('unwraps the RTP timestamp across 2^32', () => {
    const d = new H264Depacketizer();
    const ts0 = 0xffffffff - 3600;
    const pts = [
      ...sendUnit(d, [SPS, PPS, idr()], 0, ts0),
      ...sendUnit(d, [pSlice()], 3, ts0 + 3600),
      ...sendUnit(d, [pSlice()], 4, ts0 + 7200),
    ].map((u) => u.pts);
    assert.deepEqual(pts, [ts0, ts0 + 3600, ts0 + 7200]);
  });

  it('does not end the unit on SPS/PPS/SEI packets with the marker set (camera quirk)', () => {
    const d = new H264Depacketizer();
    const out = [rtp(SPS, 0, 0, true), rtp(PPS, 1, 0, true), rtp(SEI, 2, 0, true), rtp(idr(), 3, 0, true)].flatMap((p) => d.push(p, 0));
    assert.equal(out.length, 1);
    assert.deepEqual(nalHex(out[0]!.nalus), nalHex([SPS, PPS, SEI, idr()]));
  });

  it('injects sprop SPS/PPS into an IDR that lacks them, ahead of SEI', () => {
    const d = new H264Depacketizer({ sps: SPS, pps: PPS });
    const out = sendUnit(d, [AUD, SEI, idr()], 0, 0);
    assert.equal(out.length, 1);
    assert.deepEqual(nalHex(out[0]!.nalus), nalHex([SPS, PPS, SEI, idr()]), 'AUD dropped, SPS/PPS first');
  });

  it('injects the latest in-band SPS/PPS and inserts only the missing one', () => {
    const d = new H264Depacketizer({ sps: Uint8Array.of(0x67, 1), pps: Uint8Array.of(0x68, 1) });
    sendUnit(d, [SPS, PPS, idr()], 0, 0);
    const out = sendUnit(d, [idr(4)], 3, 3000);
    assert.deepEqual(nalHex(out[0]!.nalus), nalHex([SPS, PPS, idr(4)]));
    const newPps = Uint8Array.of(0x68, 0xee);
    const out2 = sendUnit(d, [newPps, idr(5)], 4, 6000);
    assert.deepEqual(nalHex(out2[0]!.nalus), nalHex([SPS, newPps, idr(5)]));
  });

  it('drops an IDR when no SPS is known at all', () => {
    const d = new H264Depacketizer();
    assert.equal(sendUnit(d, [idr()], 0, 0).length, 0);
    assert.equal(d.stats.droppedUnits, 1);
    assert.equal(sendUnit(d, [SPS, PPS, idr()], 1, 3000).length, 1);
  });

  it('ends a unit on a timestamp change when the marker packet was not sent', () => {
    const d = new H264Depacketizer();
    const a = [rtp(SPS, 0, 0), rtp(PPS, 1, 0), rtp(idr(), 2, 0), rtp(pSlice(), 3, 3000)].flatMap((p) => d.push(p, 0));
    assert.equal(a.length, 1);
    assert.equal(a[0]!.keyframe, true);
    const b = d.flush(0);
    assert.equal(b.length, 1);
    assert.equal(b[0]!.keyframe, false);
  });

  it('waits for a keyframe at start', () => {
    const d = new H264Depacketizer({ sps: SPS, pps: PPS });
    assert.equal(sendUnit(d, [pSlice()], 0, 0).length, 0);
    assert.equal(sendUnit(d, [idr()], 1, 3000).length, 1);
    assert.equal(d.stats.droppedUnits, 1);
  });

  it('after a loss at a unit boundary accepts only an IDR that starts with its first slice', () => {
    const d = new H264Depacketizer({ sps: SPS, pps: PPS, reorderWindow: 1 });
    sendUnit(d, [idr(1)], 0, 0);
    // seq 1 (first slice of the next IDR) lost; its second slice arrives alone
    assert.equal(sendUnit(d, [idr(2, 40, false)], 2, 3000).length, 0);
    assert.equal(sendUnit(d, [idr(3), idr(3, 40, false)], 3, 6000).length, 1);
  });

  it('counts garbage as malformed or unsupported and never throws', () => {
    const d = new H264Depacketizer({ sps: SPS, pps: PPS });
    const bad = [
      new Uint8Array(0), Uint8Array.of(0xe5, 1), Uint8Array.of(0x78, 0, 9, 0x67), Uint8Array.of(0x78, 0),
      Uint8Array.of(0x7c), Uint8Array.of(0x7c, 0xc5, 1), Uint8Array.of(0x00), Uint8Array.of(0x1e, 1),
    ];
    bad.forEach((b, i) => d.push(rtp(b, i, i * 3000, true), 0));
    assert.equal(d.stats.malformed, bad.length);
    d.push(rtp(Uint8Array.of(0x79, 0, 0), 100, 0, true), 0); // STAP-B
    d.push(rtp(Uint8Array.of(0x7d, 0x85, 0, 0, 1), 101, 0, true), 0); // FU-B
    assert.equal(d.stats.unsupported, 2);
    assert.equal(d.stats.units, 0);
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 30 }), fc.integer({ min: 0, max: 65535 }), (payloads, seq0) => {
      const f = new H264Depacketizer({ sps: SPS, pps: PPS, reorderWindow: 4 });
      payloads.forEach((p, i) => f.push(rtp(p, seq0 + i, (i >> 2) * 3000, (i & 3) === 3), 0));
      f.flush(0);
    }), { numRuns: 500 });
  });
});

describe('H264Depacketizer (recorded ffmpeg stream)', () => {
  const packets = readRecording(new URL('./testdata/h264-640x360.bin', import.meta.url).pathname).map((b) => parseRtp(b)!);

  it('parses every recorded packet', () => {
    assert.ok(packets.length > 50);
    assert.ok(packets.every((p) => p !== null && p.payloadType === 96));
  });

  it('yields 50 units (2 s at 25 fps) with keyframes at 0 and 25 that carry 640x360 SPS', () => {
    const d = new H264Depacketizer();
    const units = [...packets.flatMap((p) => d.push(p, 0)), ...d.flush(0)];
    assert.equal(units.length, 50);
    assert.deepEqual(units.flatMap((u, i) => (u.keyframe ? [i] : [])), [0, 25]);
    for (const u of units.filter((x) => x.keyframe)) {
      assert.deepEqual(u.nalus.slice(0, 2).map((n) => n[0]! & 0x1f), [7, 8]);
      const info = parseH264Sps(u.nalus[0]!)!;
      assert.deepEqual([info.width, info.height, info.frameRate], [640, 360, 25]);
    }
    for (let i = 1; i < units.length; i++) assert.equal(units[i]!.pts - units[i - 1]!.pts, 3600);
    assert.deepEqual(
      { ...d.stats, packets: 0 },
      { packets: 0, units: 50, lostPackets: 0, droppedUnits: 0, duplicates: 0, reordered: 0, malformed: 0, unsupported: 0 },
    );
  });

  it('recovers at the second keyframe when a packet of the first GOP is lost', () => {
    const d = new H264Depacketizer();
    const lossAt = 5;
    const units = [...packets.filter((_, i) => i !== lossAt).flatMap((p) => d.push(p, 0)), ...d.flush(0)];
    const keyIndex = units.findIndex((u) => u.keyframe && u !== units[0]);
    assert.ok(units[0]!.keyframe);
    assert.equal(units.length, 1 + 25, 'the first unit before the loss, then the whole second GOP');
    assert.equal(keyIndex, 1);
    assert.equal(d.stats.lostPackets, 1);
    assert.equal(d.stats.droppedUnits, 24);
  });
});
