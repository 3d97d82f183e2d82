import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import type { Track, Unit, VideoUnit } from '../../codecs/access-unit.js';
import { parseH264Sps } from '../../codecs/h264/sps.js';
import { parseH265Sps } from '../../codecs/h265/sps.js';
import { parseRtp, serializeRtp, type RtpPacket } from '../../codecs/rtp/packet.js';
import { readRecording } from '../../codecs/h264/testdata/recording.js';
import { TrackDepacketizers } from './to-stream.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../../codecs/${p}`, import.meta.url));
const video = (codec: 'H264' | 'H265'): Track => ({ kind: 'video', codec, payloadType: 96, clockRate: 90000, fmtp: {} });
const pcma: Track = { kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {} };

function packets(path: string): RtpPacket[] {
  return readRecording(fixture(path)).map((b) => parseRtp(b)!);
}

describe('TrackDepacketizers', () => {
  it('routes each track to its codec: recorded H.264 and H.265, and G.711 audio', () => {
    const d = new TrackDepacketizers([video('H264'), video('H265'), pcma]);
    const units: Unit[] = [];
    for (const p of packets('h264/testdata/h264-640x360.bin')) units.push(...d.push(0, p, 1));
    for (const p of packets('h265/testdata/h265-640x360.bin')) units.push(...d.push(1, p, 2));
    for (let i = 0; i < 5; i++) {
      const pkt = { marker: false, payloadType: 8, sequenceNumber: 100 + i, timestamp: i * 160, ssrc: 9, csrcs: [], padding: false, payload: new Uint8Array(160).fill(0xd5) };
      units.push(...d.push(2, parseRtp(serializeRtp(pkt))!, 3));
    }

    const h264 = units.filter((u): u is VideoUnit => u.kind === 'video' && u.codec === 'H264');
    const h265 = units.filter((u): u is VideoUnit => u.kind === 'video' && u.codec === 'H265');
    const audio = units.filter((u) => u.kind === 'audio');
    assert.ok(h264.length > 10 && h265.length > 10, `${h264.length} H.264 and ${h265.length} H.265 units`);
    const k264 = h264.find((u) => u.keyframe)!;
    const k265 = h265.find((u) => u.keyframe)!;
    const sps264 = parseH264Sps(k264.nalus.find((n) => (n[0]! & 0x1f) === 7)!);
    const sps265 = parseH265Sps(k265.nalus.find((n) => ((n[0]! >> 1) & 0x3f) === 33)!);
    assert.deepEqual([sps264?.width, sps264?.height], [640, 360]);
    assert.deepEqual([sps265?.width, sps265?.height], [640, 360]);
    assert.equal(audio.length, 5);
    assert.equal(audio[0]!.kind === 'audio' && audio[0]!.clockRate, 8000);

    const s = d.stats;
    assert.equal(s.tracks.length, 3);
    assert.equal(s.packets, s.tracks.reduce((n, t) => n + t.packets, 0));
    assert.equal(s.units, units.length);
    assert.equal(s.lost, 0);
  });

  it('counts loss and dropped units, ignores unknown track indexes', () => {
    const d = new TrackDepacketizers([video('H264')]);
    const all = packets('h264/testdata/h264-640x360.bin');
    const units: Unit[] = [];
    // Drop every 7th packet after the first keyframe: units break and the depacketizer waits for keyframes.
    all.forEach((p, i) => {
      if (i > 20 && i % 7 === 0) return;
      units.push(...d.push(0, p, 0));
    });
    assert.deepEqual(d.push(5, all[0]!, 0), []);
    const s = d.stats;
    assert.ok(s.lost > 0, `lost ${s.lost}`);
    assert.ok(s.droppedUnits > 0, `droppedUnits ${s.droppedUnits}`);
    assert.equal(s.tracks[0]!.lost, s.lost);
  });
});
